import type {
  PipelineConsistencyResponse,
  PipelineHealthResponse,
  PipelineThroughputResponse,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { fixtureTime as at } from './clock';

/**
 * Responses shaped as the backend sends them (see its openapi.yaml), for
 * component tests; their times are on the fixture clock (`./clock`).
 */

export const health = (
  overrides: Partial<PipelineHealthResponse> = {},
): PipelineHealthResponse => ({
  entityRef: 'system:default/orders',
  environment: 'dev',
  status: 'degraded',
  reason: 'speed layer: the speed layer is 1,200 events behind Kafka',
  checkedAt: at(30),
  durationMs: 94,
  notMonitored: ['Airflow (no airflow settings for environment dev)'],
  layers: [
    {
      id: 'ingest',
      title: 'CDC / ingest',
      status: 'ok',
      reason: 'Debezium is running and the replication slot is active',
      components: [
        {
          id: 'cdc-connector',
          title: 'Debezium connector orders-cdc',
          system: 'connect',
          status: 'ok',
          reason: 'connector and 1 task RUNNING',
          evidence: { connector: 'RUNNING', tasks: 1 },
        },
      ],
    },
    {
      id: 'speed',
      title: 'Speed layer',
      status: 'degraded',
      reason: 'the speed layer is 1,200 events behind Kafka',
      freshness: { seconds: 3, text: 'speed layer is 3 s behind' },
      components: [
        {
          id: 'clickhouse',
          title: 'ClickHouse orders.orders',
          system: 'clickhouse',
          status: 'degraded',
          reason: 'the speed layer is 1,200 events behind Kafka',
          evidence: { lagEvents: 1200, allowedLagEvents: 1000 },
        },
      ],
    },
    {
      id: 'batch',
      title: 'Batch layer',
      status: 'ok',
      reason: 'the last load finished on time',
      freshness: {
        completeUpTo: at(0),
        text: 'batch complete up to 2026-12-02 09:00 UTC (30 min ago)',
      },
      components: [],
    },
    {
      id: 'serving',
      title: 'Serving',
      status: 'ok',
      reason: 'both layers answer',
      components: [],
    },
  ],
  ...overrides,
});

export const throughput = (
  overrides: Partial<PipelineThroughputResponse> = {},
): PipelineThroughputResponse => ({
  entityRef: 'system:default/orders',
  environment: 'dev',
  targetEventsPerSecond: 20000,
  sampleIntervalSeconds: 30,
  samples: 3,
  stages: [
    {
      id: 'source',
      title: 'Source changes (PostgreSQL)',
      current: 18000,
      ofTarget: 0.9,
      backlog: null,
      series: [
        { t: at(29), eventsPerSecond: 17500 },
        { t: at(30), eventsPerSecond: 18000 },
      ],
    },
    {
      id: 'ingest',
      title: 'Kafka ingest (Debezium)',
      current: 18000,
      ofTarget: 0.9,
      backlog: null,
      series: [
        { t: at(29), eventsPerSecond: 17400 },
        { t: at(30), eventsPerSecond: 18000 },
      ],
    },
    {
      id: 'speed',
      title: 'Speed-layer writes (ClickHouse)',
      current: 12000,
      ofTarget: 0.6,
      backlog: 1200,
      series: [
        { t: at(29), eventsPerSecond: 13000 },
        { t: at(30), eventsPerSecond: 12000 },
      ],
    },
    {
      id: 'batch',
      title: 'Batch loads (Snowflake)',
      current: null,
      ofTarget: null,
      backlog: 50000,
      series: [],
    },
  ],
  bottleneck: {
    stage: 'speed',
    reason:
      'Speed-layer writes (ClickHouse) handled 12000 events/s while kafka ingest (debezium) brought 18000/s over the last 60 s; its backlog grew by 360,000 events',
  },
  summary: 'Speed-layer writes (ClickHouse) is the bottleneck',
  lag: [
    {
      id: 'speed',
      title: 'Speed job (Spark → ClickHouse)',
      current: 1200,
      series: [
        { t: at(29), events: 200 },
        { t: at(30), events: 1200 },
      ],
    },
    {
      id: 'lake-sink',
      title: 'Lake sink (Kafka Connect → Iceberg)',
      group: 'connect-orders-lake-sink',
      current: 40,
      series: [{ t: at(30), events: 40 }],
    },
    {
      id: 'batch',
      title: 'Batch load (Iceberg → Snowflake)',
      current: null,
      series: [],
    },
  ],
  deadLetters: {
    topic: 'orders.dlq',
    total: 7,
    series: [
      { t: at(29), newEvents: 0 },
      { t: at(30), newEvents: 3 },
    ],
  },
  ...overrides,
});

const figures = (rows: number) => ({
  rows,
  distinctKeys: rows,
  deleted: 0,
  fingerprintXor: '12345',
  sums: { amount: '100.00' },
});

export const consistency = (
  overrides: Partial<PipelineConsistencyResponse> = {},
): PipelineConsistencyResponse => ({
  entityRef: 'system:default/orders',
  environment: 'dev',
  status: 'diverged',
  reason: '1 closed window differs between the layers',
  checkedAt: at(30),
  batchWatermark: at(15),
  judgedUpTo: at(10),
  windowMinutes: 5,
  windows: [
    {
      table: 'public.orders',
      windowStart: at(0),
      windowEnd: at(5),
      closed: true,
      status: 'consistent',
      speed: figures(120),
      batch: figures(120),
      differences: [],
    },
    {
      table: 'public.orders',
      windowStart: at(5),
      windowEnd: at(10),
      closed: true,
      status: 'diverged',
      speed: figures(120),
      batch: figures(118),
      differences: ['rows 120 vs 118', 'distinct keys 120 vs 118'],
    },
    {
      table: 'public.orders',
      windowStart: at(10),
      windowEnd: at(15),
      closed: false,
      status: 'converging',
      speed: figures(80),
      batch: figures(60),
      differences: ['rows 80 vs 60'],
    },
  ],
  history: [
    {
      checkedAt: at(30),
      status: 'diverged',
      consistent: 1,
      converging: 1,
      diverged: 1,
    },
    {
      checkedAt: at(25),
      status: 'consistent',
      consistent: 2,
      converging: 1,
      diverged: 0,
    },
  ],
  repair:
    'Re-run the batch load for the differing windows (Airflow DAG orders_batch_load, backfill from 09:05).',
  ...overrides,
});
