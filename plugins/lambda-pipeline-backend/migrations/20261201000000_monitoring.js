// @ts-check

/**
 * Samples of every pipeline's counters and health (throughput is computed
 * from their growth), and the history of layer-consistency checks.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('lambda_pipeline_samples', table => {
    table.comment(
      'Counters, positions and health of a pipeline, sampled on a schedule',
    );
    table.bigIncrements('id').primary();
    table.string('entity_ref', 255).notNullable();
    table.string('environment', 64).notNullable();
    table.bigInteger('sampled_at').notNullable().comment('epoch milliseconds');
    table.text('counters').notNullable().comment('JSON: Counters');
    table
      .text('positions')
      .notNullable()
      .comment('JSON: next Kafka offset per topic and partition per layer');
    table.string('status', 16).nullable();
    table.text('reason').nullable();
    table.index(
      ['entity_ref', 'sampled_at'],
      'lambda_pipeline_samples_entity_time_idx',
    );
  });
  await knex.schema.createTable('lambda_pipeline_consistency', table => {
    table.comment(
      'Results of reconciling the speed and batch layers window by window',
    );
    table.bigIncrements('id').primary();
    table.string('entity_ref', 255).notNullable();
    table.bigInteger('checked_at').notNullable().comment('epoch milliseconds');
    table.string('status', 16).notNullable();
    table.integer('consistent').notNullable();
    table.integer('converging').notNullable();
    table.integer('diverged').notNullable();
    table
      .text('result')
      .notNullable()
      .comment('JSON: the whole check, windows included');
    table.index(
      ['entity_ref', 'checked_at'],
      'lambda_pipeline_consistency_entity_time_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('lambda_pipeline_consistency');
  await knex.schema.dropTable('lambda_pipeline_samples');
};
