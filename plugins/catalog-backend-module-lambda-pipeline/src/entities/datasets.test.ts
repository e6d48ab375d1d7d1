import {
  Entity,
  FieldFormatEntityPolicy,
  resourceEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import {
  EXAMPLE_PIPELINE_SPEC,
  parsePipelineSpec,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { LiveDataset } from '../inventory/types';
import {
  auxiliaryDatasetEntity,
  LiveIndex,
  pipelineDatasetEntities,
  unmanagedDatasetEntity,
} from './datasets';

const base = EXAMPLE_PIPELINE_SPEC;
const spec = parsePipelineSpec({
  ...base,
  metadata: { ...base.metadata, name: 'orders-eu' },
  spec: {
    ...base.spec,
    source: {
      postgres: {
        ...base.spec.source.postgres,
        tables: [
          base.spec.source.postgres.tables[0],
          {
            ...base.spec.source.postgres.tables[0],
            schema: 'sales',
            table: 'order_items',
          },
        ],
      },
    },
  },
});
const source = {
  spec,
  location: 'url:https://git.example.com/orders/pipeline.yaml',
  originLocation: 'url:https://git.example.com/orders/catalog-info.yaml',
};

const topicFacts = {
  kind: 'topic',
  partitions: 6,
  replicationFactor: 1,
  config: { 'cleanup.policy': 'delete', 'retention.ms': '604800000' },
};
const live = new LiveIndex([
  {
    environment: 'dev',
    system: 'kafka',
    datasets: [
      {
        environment: 'dev',
        system: 'kafka',
        name: 'orders-eu.public.orders',
        facts: topicFacts,
      },
    ],
  },
  // ClickHouse answered and has none of the tables; Snowflake and Iceberg never answered.
  { environment: 'dev', system: 'clickhouse', datasets: [] },
]);

async function valid(entity: Entity) {
  expect(await resourceEntityV1alpha1Validator.check(entity)).toBe(true);
  await new FieldFormatEntityPolicy().enforce(entity);
}

describe('pipeline datasets', () => {
  const { entities, claims } = pipelineDatasetEntities(source, live);
  const byName = new Map(entities.map(e => [e.metadata.name, e]));
  const dependsOn = (name: string) =>
    ((byName.get(name)!.spec!.dependsOn as string[]) ?? []).map(r =>
      r.replace('resource:default/', ''),
    );

  it('lists every dataset of every layer as a valid Resource', async () => {
    // Per table: source, topic, ClickHouse, Iceberg, staging, Snowflake, 2 marts; plus the DLQ.
    expect(entities).toHaveLength(2 * 8 + 1);
    expect(new Set(byName.keys()).size).toBe(entities.length);
    for (const entity of entities) await valid(entity);
    expect(
      entities.map(e => e.spec!.type).filter(t => t === 'kafka-topic'),
    ).toHaveLength(3);
    expect(entities.filter(e => e.spec!.type === 'dbt-model')).toHaveLength(4);
    for (const e of entities) {
      expect(e.spec!.owner).toBe('group:default/data-platform');
      expect(e.spec!.system).toBe('orders');
      expect(e.metadata.annotations).toMatchObject({
        'lambda-pipelines.io/pipeline': 'system:default/orders',
        'lambda-pipelines.io/environment': 'dev',
        'backstage.io/managed-by-location':
          'url:https://git.example.com/orders/pipeline.yaml',
        'backstage.io/managed-by-origin-location':
          'url:https://git.example.com/orders/catalog-info.yaml',
      });
      expect(e.metadata.labels!['lambda-pipelines.io/managed']).toBe('true');
    }
  });

  it('links the lineage from the source table to every serving table', () => {
    const chain = [
      'orders-eu-postgres-sales.order_items',
      'orders-eu-topic-orders-eu.sales.order_items',
      'orders-eu-iceberg-sales_order_items',
      'orders-eu-snowflake-stg_sales_order_items',
      'orders-eu-snowflake-sales_order_items',
    ];
    expect(dependsOn(chain[0])).toEqual([]);
    for (let i = 1; i < chain.length; i++) {
      expect(dependsOn(chain[i])).toEqual([chain[i - 1]]);
    }
    expect(dependsOn('orders-eu-clickhouse-sales_order_items')).toEqual([
      chain[1],
    ]);
    for (const mart of [
      'orders-eu-dbt-model-sales_order_items',
      'orders-eu-dbt-model-sales_order_items_by_window',
    ]) {
      expect(dependsOn(mart)).toEqual([chain[4]]);
    }
    expect(dependsOn('orders-eu-topic-orders-eu.dlq')).toEqual([
      'orders-eu-topic-orders-eu.public.orders',
      chain[1],
    ]);
  });

  it('says what the live systems know: present with facts, missing, or unknown', () => {
    const dataset = (name: string) => byName.get(name)!.spec!.dataset as any;
    expect(dataset('orders-eu-topic-orders-eu.public.orders')).toEqual({
      environment: 'dev',
      system: 'kafka',
      name: 'orders-eu.public.orders',
      state: 'present',
      ...topicFacts,
    });
    expect(dataset('orders-eu-clickhouse-orders')).toEqual({
      environment: 'dev',
      system: 'clickhouse',
      name: 'orders_eu.orders',
      state: 'missing',
    });
    expect(dataset('orders-eu-snowflake-orders')).toMatchObject({
      system: 'snowflake',
      name: 'ANALYTICS.ORDERS.ORDERS',
      state: 'unknown',
    });
    expect(dataset('orders-eu-dbt-model-orders_by_window')).toMatchObject({
      system: 'snowflake',
      name: 'ANALYTICS.ORDERS_MARTS.ORDERS_BY_WINDOW',
    });
    // The source table carries the columns its spec declares.
    expect(dataset('orders-eu-postgres-public.orders')).toMatchObject({
      system: 'postgres',
      name: 'shop.public.orders',
      state: 'declared',
      columns: expect.arrayContaining([
        { name: 'order_id', type: 'bigint', nullable: false },
        { name: 'status', type: 'varchar(32)', nullable: true },
      ]),
    });
  });

  it("claims the pipeline's datasets and its own spaces", () => {
    expect(claims.names).toContain('dev/kafka/orders-eu.public.orders');
    expect(claims.names).toContain('dev/snowflake/ANALYTICS.ORDERS.STG_ORDERS');
    expect(claims.prefixes).toEqual(
      expect.arrayContaining([
        { environment: 'dev', system: 'kafka', prefix: 'orders-eu.' },
        { environment: 'dev', system: 'kafka', prefix: 'orders-eu-connect-' },
        { environment: 'dev', system: 'clickhouse', prefix: 'orders_eu.' },
        { environment: 'dev', system: 'iceberg', prefix: 'orders_eu.' },
        {
          environment: 'dev',
          system: 'snowflake',
          prefix: 'ANALYTICS.ORDERS_MARTS.',
        },
      ]),
    );
  });
});

describe('live datasets', () => {
  const dataset = (name: string, system: any = 'clickhouse'): LiveDataset => ({
    environment: 'dev',
    system,
    name,
    facts: {
      kind: 'table',
      engine: 'MergeTree',
      columns: [{ name: 'id', type: 'UInt64', nullable: false }],
      rows: 3,
    },
  });

  it('lists a dataset no pipeline owns as unmanaged, with the configured owner', async () => {
    const entity = unmanagedDatasetEntity(dataset('audit.events'), {
      owner: 'group:default/platform',
    });
    await valid(entity);
    expect(entity.metadata.name).toBe('dev-clickhouse-audit.events');
    expect(entity.metadata.labels).toEqual({
      'lambda-pipelines.io/managed': 'false',
    });
    expect(entity.metadata.tags).toContain('unmanaged');
    expect(entity.spec).toEqual({
      type: 'clickhouse-table',
      owner: 'group:default/platform',
      dataset: {
        environment: 'dev',
        system: 'clickhouse',
        name: 'audit.events',
        state: 'present',
        kind: 'table',
        engine: 'MergeTree',
        columns: [{ name: 'id', type: 'UInt64', nullable: false }],
        rows: 3,
      },
    });
    expect(
      entity.metadata.annotations!['backstage.io/managed-by-location'],
    ).toBe('lambda-pipelines-live:dev/clickhouse');
  });

  it('gives names that need escaping valid, distinct, stable entity names', async () => {
    const names = [
      'weird db.Table With Spaces',
      'weird db.table with spaces',
      `${'very_long_database_name_'.repeat(4)}.events`,
      `${'very_long_database_name_'.repeat(4)}.events2`,
    ];
    const entities = names.map(n =>
      unmanagedDatasetEntity(dataset(n), { owner: 'unknown' }),
    );
    for (const e of entities) await valid(e);
    expect(new Set(entities.map(e => e.metadata.name)).size).toBe(4);
    expect(
      unmanagedDatasetEntity(dataset(names[0]), { owner: 'unknown' }).metadata
        .name,
    ).toBe(entities[0].metadata.name);
  });

  it("lists a dataset inside a pipeline's own space as the pipeline's, without lineage", async () => {
    const entity = auxiliaryDatasetEntity(
      source,
      dataset('orders-eu-connect-offsets', 'kafka'),
    );
    await valid(entity);
    expect(entity.metadata.name).toBe(
      'orders-eu-topic-orders-eu-connect-offsets',
    );
    expect(entity.spec).toMatchObject({
      type: 'kafka-topic',
      owner: 'group:default/data-platform',
      system: 'orders',
    });
    expect(entity.spec!.dependsOn).toBeUndefined();
    expect(entity.metadata.labels!['lambda-pipelines.io/layer']).toBe(
      'auxiliary',
    );
  });
});
