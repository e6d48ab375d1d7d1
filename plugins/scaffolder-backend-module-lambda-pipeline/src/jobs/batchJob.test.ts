import fs from 'fs';
import path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import {
  RenderResult,
  startPipelineRenderBackend,
} from '../__testUtils__/render';
import { stackUp } from '../__testUtils__/stack';
import { runSparkJob, startSparkJob } from '../__testUtils__/sparkJob';
import { StagedObject, stagedObjects } from '../__testUtils__/stages';
import { snowflakeSession } from '../__testUtils__/snowflake';
import {
  Expected,
  JobsTable,
  changeEvents,
  isolated,
  renderedPlatform,
} from '../__testUtils__/changeEvents';
import {
  createSnowflakeTables,
  dropIcebergTables,
  icebergCatalogConf,
  resetTopics,
  snowflakeArgs,
  startLakeSink,
} from '../__testUtils__/pipelineRun';
import { variants } from '../template/formVariants';

jest.setTimeout(20 * 60_000);

/**
 * The rendered lake sink and batch job on their real runtimes: the Apache
 * Iceberg sink in the stack's Kafka Connect writes the change events into
 * Iceberg (JDBC catalog, S3 with SSE-KMS), and the batch job (pyspark 3.5.7,
 * local[2]) loads them into the stack's Snowflake emulator through the
 * official Spark connector.
 */

const SPECS = [
  'one table, local, JDBC, Iceberg, local DAG repo',
  'several tables, cloud, Glue, Iceberg',
];

/** Decimal text without trailing zeros, as the emulator and ClickHouse may print it. */
const normalize = (text: unknown) =>
  String(text).includes('.')
    ? String(text).replace(/\.?0+$/, '')
    : String(text);

/** Decimal places of a measure column (0 for integers). */
const scaleOf = (table: JobsTable, column: string) =>
  Number(
    /,(\d+)\)/.exec(table.columns.find(c => c.name === column)!.spark)?.[1] ??
      0,
  );

describe('lake sink + batch job (Iceberg -> Snowflake) on the real stack', () => {
  let env: Record<string, string>;
  const rendered = new Map<string, RenderResult>();

  beforeAll(async () => {
    env = stackUp(['kafka', 'connect', 's3', 'snowflake', 'spark']);
    const backend = await startPipelineRenderBackend();
    try {
      for (const name of SPECS) {
        rendered.set(
          name,
          await backend.render(isolated(variants[name], 'bt')),
        );
      }
    } finally {
      await backend.stop();
    }
  });

  it.each(SPECS)(
    '%s: the latest row per key in Snowflake, and a re-run changes nothing',
    async specName => {
      const { dir, jobsDir, jobs } = renderedPlatform(rendered.get(specName)!);
      const platformDir = path.join(dir, 'platform');
      const tables: JobsTable[] = jobs.tables;
      const run = `${Date.now()}`;
      const kafka = new Kafka({
        brokers: [env.LP_KAFKA_BROKERS],
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();
      await resetTopics(admin, [
        ...tables.map(t => ({ topic: t.topic, numPartitions: 3 })),
        { topic: jobs.kafka.deadLetterTopic, numPartitions: 1 },
      ]);
      const sink = await startLakeSink(env, admin, platformDir, tables, run);
      try {
        // Change events, including a row the batch layer cannot read: a NOT
        // NULL column sent as null (the sink stores it, its columns are
        // optional). A value of the wrong JSON type would stop the sink
        // itself: write errors have no dead-letter queue (apache/iceberg#17542).
        const producer = kafka.producer();
        await producer.connect();
        const lsn = { next: 5_000_000 };
        const expected = new Map<string, Expected>();
        for (const table of tables) {
          const e = changeEvents(table, 300, lsn);
          expected.set(table.topic, e);
          await producer.send({
            topic: table.topic,
            messages: [
              ...e.events.slice(0, 150),
              e.poison[2],
              ...e.events.slice(150),
            ],
          });
        }
        await producer.disconnect();
        await sink.caughtUp();
        await createSnowflakeTables(env, platformDir, jobs);

        const catalogConf = await icebergCatalogConf(env, sink.warehouse);
        const args = snowflakeArgs(env);
        // The official connector stages the rows as files in a temporary
        // internal stage: the emulator keeps them in the stack's S3, where
        // the connector's own S3 client put them, encrypted client-side.
        const { database, schema } = jobs.batch.snowflake;
        const stagePrefix = `stages/${database}/${schema}/SPARK_CONNECTOR_LOAD_STAGE_`;
        const before = new Set(
          (await stagedObjects(env, stagePrefix)).map(o => o.key),
        );
        const job = await startSparkJob(
          env,
          jobsDir,
          'batch_job.py',
          args,
          catalogConf,
        );
        const seen = new Map<string, StagedObject>();
        let exited = false;
        const code = job.done.then(c => {
          exited = true;
          return c;
        });
        while (!exited) {
          for (const o of await stagedObjects(env, stagePrefix))
            seen.set(o.key, o);
          await new Promise(r => setTimeout(r, 200));
        }
        expect(await code).toBe(0);
        const first = job.output();
        expect(first).toContain('"status": "loaded"');
        const files = [...seen.values()].filter(
          o => /\.CSV\.gz$/.test(o.key) && !before.has(o.key),
        );
        expect(files.length).toBeGreaterThan(0);
        expect(files.every(o => o.encrypted && o.size > 0)).toBe(true);
        // The job ended its sessions: each temporary stage it used went with its files.
        const usedStages = new Set(
          files.map(o =>
            o.key.slice(0, o.key.indexOf('/', stagePrefix.length)),
          ),
        );
        for (const stage of usedStages)
          expect(await stagedObjects(env, `${stage}/`)).toEqual([]);

        const sf = await snowflakeSession(env);
        try {
          const stages = await sf.query(
            `SHOW STAGES IN SCHEMA ${database}.${schema}`,
          );
          expect(
            stages.filter(st =>
              String(st.name).startsWith('SPARK_CONNECTOR_LOAD_STAGE_'),
            ),
          ).toEqual([]);
          const state = async () => {
            const out: Record<string, unknown> = {};
            for (const table of tables) {
              const t = table.snowflakeTable;
              const [row] = await sf.query(
                `SELECT COUNT_IF(_IS_DELETED) AS DELETED, COUNT_IF(NOT _IS_DELETED) AS LIVE FROM ${t}`,
              );
              const sums: Record<string, string> = {};
              for (const m of table.measures) {
                // Widened first: the emulator (fakesnow) sums NUMBER(p,s) as
                // a double; summing NUMBER(38,s) is exact in both.
                const [s] = await sf.query(
                  `SELECT TO_VARCHAR(SUM(${m.toUpperCase()}::NUMBER(38, ${scaleOf(
                    table,
                    m,
                  )}))) AS S FROM ${t} WHERE NOT _IS_DELETED`,
                );
                sums[m] = normalize(s.S);
              }
              out[t] = {
                live: Number(row.LIVE),
                deleted: Number(row.DELETED),
                sums,
              };
            }
            return out;
          };
          const afterFirst = await state();
          for (const table of tables) {
            const e = expected.get(table.topic)!;
            expect(afterFirst[table.snowflakeTable]).toEqual({
              live: e.live,
              deleted: e.deleted,
              sums: Object.fromEntries(
                Object.entries(e.measureSums).map(([k, v]) => [
                  k,
                  normalize(v),
                ]),
              ),
            });
          }
          const marks = await sf.query(
            `SELECT TABLE_NAME, ICEBERG_SNAPSHOT_ID FROM ${jobs.batch.snowflake.watermarkTable}`,
          );
          expect(marks).toHaveLength(tables.length);

          // Nothing new in the lake: the second run is a no-op.
          const second = await runSparkJob(
            env,
            jobsDir,
            'batch_job.py',
            args,
            catalogConf,
          );
          expect(second).toContain('"status": "up to date"');
          expect(second).not.toContain('"status": "loaded"');
          expect(await state()).toEqual(afterFirst);
        } finally {
          await sf.close();
        }
      } finally {
        await sink.remove();
        await admin.disconnect();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
  it('one table, local, raw S3 landing: the merge job lands files in Iceberg exactly once, then the batch job loads them', async () => {
    const result = await (async () => {
      const backend = await startPipelineRenderBackend();
      try {
        return await backend.render(
          isolated(
            variants['one table, local, JDBC, raw S3, 60k events/s on 24Gi'],
            'rw',
          ),
        );
      } finally {
        await backend.stop();
      }
    })();
    const { dir, jobsDir, jobs } = renderedPlatform(result);
    expect(jobs.batch.lakeSink).toBe('s3-raw');
    const platformDir = path.join(dir, 'platform');
    const [table]: JobsTable[] = jobs.tables;
    const run = `${Date.now()}`;
    // The landing zone as the raw sink leaves it: files of one JSON event per
    // line (a local folder here; the job reads s3a:// in the cluster).
    const landing = path.join(dir, 'landing');
    fs.mkdirSync(landing);
    const e = changeEvents(table, 200, { next: 7_000_000 });
    const lines = e.events.map(x => x.value);
    fs.writeFileSync(
      path.join(landing, 'events-0001.json'),
      `${lines.slice(0, 120).join('\n')}\nnot an event\n`,
    );
    const warehouse = `s3://${env.LP_S3_BUCKET}/tests/${run}/warehouse`;
    const catalogConf = await icebergCatalogConf(env, warehouse);
    await dropIcebergTables(env, 'lake', [table.icebergTable]);
    const mergeArgs = [
      '--set',
      `batch.rawLocation=file://${landing}`,
      '--set',
      `batch.rawCheckpointLocation=file://${path.join(dir, 'checkpoint')}`,
    ];
    const merge = () =>
      runSparkJob(env, jobsDir, 'raw_merge_job.py', mergeArgs, catalogConf);
    await merge();
    // A second file lands; a re-run merges only that one.
    fs.writeFileSync(
      path.join(landing, 'events-0002.json'),
      `${lines.slice(120).join('\n')}\n`,
    );
    await merge();
    await merge();

    await createSnowflakeTables(env, platformDir, jobs);
    await runSparkJob(
      env,
      jobsDir,
      'batch_job.py',
      snowflakeArgs(env),
      catalogConf,
    );
    const sf = await snowflakeSession(env);
    try {
      const t = table.snowflakeTable;
      const [row] = await sf.query(
        `SELECT COUNT(*) AS N, COUNT_IF(_IS_DELETED) AS DELETED, COUNT_IF(NOT _IS_DELETED) AS LIVE FROM ${t}`,
      );
      expect({
        rows: Number(row.N),
        live: Number(row.LIVE),
        deleted: Number(row.DELETED),
      }).toEqual({ rows: 200, live: e.live, deleted: e.deleted });
      const [m] = table.measures;
      const [s] = await sf.query(
        `SELECT TO_VARCHAR(SUM(${m.toUpperCase()}::NUMBER(38, ${scaleOf(
          table,
          m,
        )}))) AS S FROM ${t} WHERE NOT _IS_DELETED`,
      );
      expect(normalize(s.S)).toBe(normalize(e.measureSums[m]));
    } finally {
      await sf.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
