import { EXAMPLE_PIPELINE_SPEC } from '../spec/example';
import { parsePipelineSpec } from '../spec/validate';
import {
  cdcTopicName,
  clickhouseDatabase,
  datasetEntityName,
  datasetTableName,
  deadLetterTopicName,
  heartbeatTopicName,
  icebergControlTopicName,
  icebergNamespace,
  kafkaTopicResourceName,
  kubernetesNamespace,
  dbtMartModels,
  liveDatasetEntityName,
  martsSchemaName,
  snowflakeStagingTableName,
  snowflakeTableName,
} from './pipelineNames';
import { isEntityName, isKafkaTopicName, isDnsSubdomain } from './rules';

const spec = parsePipelineSpec({
  ...EXAMPLE_PIPELINE_SPEC,
  metadata: { ...EXAMPLE_PIPELINE_SPEC.metadata, name: 'orders-eu' },
});
const [orders] = spec.spec.source.postgres.tables;
const salesItems = { ...orders, schema: 'sales', table: 'order_items' };

describe('pipeline names', () => {
  it('names topics as Debezium does', () => {
    expect(cdcTopicName(spec, orders)).toBe('orders-eu.public.orders');
    expect(cdcTopicName(spec, salesItems)).toBe('orders-eu.sales.order_items');
    expect(deadLetterTopicName(spec)).toBe('orders-eu.dlq');
    expect(icebergControlTopicName(spec)).toBe('orders-eu.iceberg-control');
    expect(heartbeatTopicName(spec)).toBe('__debezium-heartbeat.orders-eu');
    for (const topic of [
      cdcTopicName(spec, salesItems),
      heartbeatTopicName(spec),
    ]) {
      expect(isKafkaTopicName(topic)).toBe(true);
      expect(isDnsSubdomain(kafkaTopicResourceName(topic))).toBe(true);
    }
  });

  it('names tables in every layer', () => {
    expect(datasetTableName(orders)).toBe('orders');
    expect(datasetTableName(salesItems)).toBe('sales_order_items');
    expect(clickhouseDatabase(spec)).toBe('orders_eu');
    expect(icebergNamespace(spec)).toBe('orders_eu');
    expect(snowflakeTableName(salesItems)).toBe('SALES_ORDER_ITEMS');
    expect(snowflakeStagingTableName(orders)).toBe('STG_ORDERS');
    expect(kubernetesNamespace(spec)).toBe('orders-eu');
  });

  it('honours explicit database, namespace and Kubernetes namespace', () => {
    const custom = parsePipelineSpec({
      ...EXAMPLE_PIPELINE_SPEC,
      spec: {
        ...EXAMPLE_PIPELINE_SPEC.spec,
        environment: { namespace: 'data' },
        speed: { clickhouse: { database: 'fresh' } },
        lake: {
          ...EXAMPLE_PIPELINE_SPEC.spec.lake,
          iceberg: {
            ...EXAMPLE_PIPELINE_SPEC.spec.lake.iceberg,
            namespace: 'lake',
          },
        },
      },
    });
    expect(clickhouseDatabase(custom)).toBe('fresh');
    expect(icebergNamespace(custom)).toBe('lake');
    expect(kubernetesNamespace(custom)).toBe('data');
  });

  it('derives valid, distinct entity names per dataset type', () => {
    const names = [
      datasetEntityName(spec, 'kafka-topic', cdcTopicName(spec, orders)),
      datasetEntityName(spec, 'kafka-topic', heartbeatTopicName(spec)),
      datasetEntityName(spec, 'clickhouse-table', 'orders_eu.orders'),
      datasetEntityName(spec, 'snowflake-table', 'ANALYTICS.ORDERS.ORDERS'),
      datasetEntityName(spec, 'iceberg-table', 'orders_eu.orders'),
      datasetEntityName(spec, 'postgres-table', 'public.orders'),
    ];
    expect(names[0]).toBe('orders-eu-topic-orders-eu.public.orders');
    expect(names[2]).toBe('orders-eu-clickhouse-orders_eu.orders');
    names.forEach(name => expect(isEntityName(name)).toBe(true));
    expect(new Set(names).size).toBe(names.length);
  });

  it('names the dbt marts and their Snowflake schema', () => {
    expect(dbtMartModels(salesItems)).toEqual([
      'sales_order_items',
      'sales_order_items_by_window',
    ]);
    expect(martsSchemaName(spec)).toBe(`${spec.spec.snowflake.schema}_MARTS`);
  });

  it('names live datasets per environment, keeping case-sensitive names apart', () => {
    expect(liveDatasetEntityName('dev', 'kafka', 'audit.events')).toBe(
      'dev-topic-audit.events',
    );
    // Snowflake's canonical case is upper: unquoted names read naturally.
    expect(
      liveDatasetEntityName('dev', 'snowflake', 'ANALYTICS.PUBLIC.ORDERS'),
    ).toBe('dev-snowflake-analytics.public.orders');
    // A quoted lower-case Snowflake name is a different table: it gets a hash.
    const quoted = liveDatasetEntityName(
      'dev',
      'snowflake',
      'ANALYTICS.PUBLIC.orders',
    );
    expect(quoted).toMatch(
      /^dev-snowflake-analytics\.public\.orders-[a-z0-9]{6}$/,
    );
    // Kafka topics differing only in case stay distinct, on every call.
    const upper = liveDatasetEntityName('dev', 'kafka', 'Audit.Events');
    expect(upper).not.toBe('dev-topic-audit.events');
    expect(liveDatasetEntityName('dev', 'kafka', 'Audit.Events')).toBe(upper);
    // Names that need escaping or shortening stay valid and distinct.
    const names = [
      liveDatasetEntityName('dev', 'clickhouse', 'db.weird name (v2)'),
      liveDatasetEntityName('dev', 'clickhouse', 'db.weird name [v2]'),
      liveDatasetEntityName('dev', 'kafka', `${'x'.repeat(200)}.a`),
      liveDatasetEntityName('dev', 'kafka', `${'x'.repeat(200)}.b`),
      liveDatasetEntityName('dev', 'iceberg', 'lake..__odd__'),
      upper,
      quoted,
    ];
    names.forEach(name => expect(isEntityName(name)).toBe(true));
    expect(new Set(names).size).toBe(names.length);
  });
});
