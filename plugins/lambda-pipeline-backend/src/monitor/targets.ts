import {
  airflowDagIds,
  deadLetterTopicName,
  LambdaPipeline,
  planPipeline,
  sinkConnectorConsumerGroup,
} from '@internal/backstage-plugin-lambda-pipeline-common';

/** One dataset (source table) as the monitor checks it in every layer. */
export type MonitoredDataset = {
  /** `schema.table` in PostgreSQL (also the batch watermark's TABLE_NAME). */
  source: string;
  topic: string;
  /** `database.table` in ClickHouse. */
  clickhouseTable: string;
  /** `DATABASE.SCHEMA.TABLE` in Snowflake. */
  snowflakeTable: string;
  primaryKey: string[];
  eventTimeColumn: string;
  /** Measure columns with their decimal scale (0 for integers). */
  measures: Array<{ name: string; scale: number }>;
};

/** Everything the monitor needs to know about a pipeline, derived from its spec only. */
export type MonitorTargets = {
  pipeline: string;
  environment: string;
  namespace: string;
  targetEventsPerSecond: number;
  triggerIntervalSeconds: number;
  batchSchedule: string;
  batchDeadlineMinutes: number;
  replicationSlot: string;
  sourceDatabase: string;
  cdcTopics: string[];
  deadLetterTopic: string;
  cdcConnector: string;
  lakeSinkConnector: string;
  lakeSinkGroup: string;
  speedApplication: string;
  kafkaCluster: string;
  kafkaConnect: string;
  dagIds: ReturnType<typeof airflowDagIds>;
  watermarkTable: string;
  reconciliation: {
    windowMinutes: number;
    allowedLatenessMinutes: number;
    openWindowTolerance: number;
    lookbackWindows: number;
  };
  datasets: MonitoredDataset[];
};

const scaleOf = (sparkType: string) => {
  const match = /^decimal\(\d+,\s*(\d+)\)$/i.exec(sparkType.trim());
  return match ? Number(match[1]) : 0;
};

export function monitorTargets(spec: LambdaPipeline): MonitorTargets {
  const plan = planPipeline(spec);
  const jobs = plan.jobs;
  return {
    pipeline: spec.metadata.name,
    environment: spec.spec.environment.name,
    namespace: plan.namespace,
    targetEventsPerSecond: spec.spec.throughput.targetEventsPerSecond,
    triggerIntervalSeconds: spec.spec.speed.triggerIntervalSeconds,
    batchSchedule: spec.spec.batch.schedule,
    batchDeadlineMinutes: jobs.batch.deadlineMinutes,
    replicationSlot: plan.names.replicationSlot,
    sourceDatabase: spec.spec.source.postgres.database,
    cdcTopics: plan.names.cdcTopics,
    deadLetterTopic: deadLetterTopicName(spec),
    cdcConnector: plan.names.cdcConnector,
    lakeSinkConnector: plan.names.lakeSinkConnector,
    lakeSinkGroup: sinkConnectorConsumerGroup(plan.names.lakeSinkConnector),
    speedApplication: plan.names.speedApplication,
    kafkaCluster: plan.names.kafkaCluster,
    kafkaConnect: plan.names.kafkaConnect,
    dagIds: jobs.dagIds,
    watermarkTable: jobs.batch.snowflake.watermarkTable,
    reconciliation: {
      windowMinutes: jobs.reconciliation.windowMinutes,
      allowedLatenessMinutes: jobs.reconciliation.allowedLatenessMinutes,
      openWindowTolerance: jobs.reconciliation.openWindowTolerance,
      lookbackWindows: jobs.reconciliation.lookbackWindows,
    },
    datasets: jobs.tables.map(t => {
      const types = new Map(t.columns.map(c => [c.name, c.spark]));
      return {
        source: t.source,
        topic: t.topic,
        clickhouseTable: t.clickhouseTable,
        snowflakeTable: t.snowflakeTable,
        primaryKey: t.primaryKey,
        eventTimeColumn: t.eventTimeColumn,
        measures: t.measures.map(m => ({
          name: m,
          scale: scaleOf(types.get(m) ?? ''),
        })),
      };
    }),
  };
}
