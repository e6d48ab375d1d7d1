import {
  AirflowProbe,
  ClickHouseProbe,
  ConnectorStatus,
  ConnectProbe,
  ConsumerGroupLag,
  DagInfo,
  DagRun,
  FailedTask,
  KafkaProbe,
  KubernetesProbe,
  NamespaceStatus,
  PipelineEnvironments,
  PostgresProbe,
  ProbedSystem,
  ProbeError,
  SnowflakeProbe,
  TopicOffsetsResult,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import { MonitorTargets } from './targets';

/** The probes the monitor reads, one per system. */
export type Probes = {
  environments: PipelineEnvironments;
  postgres: PostgresProbe;
  kafka: KafkaProbe;
  connect: ConnectProbe;
  clickhouse: ClickHouseProbe;
  snowflake: SnowflakeProbe;
  kubernetes: KubernetesProbe;
  airflow: AirflowProbe;
};

/** What one probe call gave: a value, an error, or nothing because the system is not configured. */
export type Observed<T> =
  | { state: 'ok'; value: T }
  | { state: 'failed'; error: ProbeError }
  | { state: 'not-configured' };

export type SourceObservation = {
  /** Cumulative inserts + updates + deletes of the source tables (pg_stat_user_tables). */
  changes: number;
  slot: {
    exists: boolean;
    active: boolean;
    lagBytes: number | null;
    walStatus: string | null;
  };
};

/** The speed layer's position per Kafka partition and its freshness, from ClickHouse itself. */
export type SpeedTableObservation = {
  source: string;
  topic: string;
  /** Next offset per partition the speed layer holds (max written offset + 1). */
  offsets: Record<string, number>;
  newestEventTime: string | null;
  lastInsert: string | null;
};

export type BatchWatermark = {
  source: string;
  completeUpTo: string | null;
  loadedAt: string | null;
  /** Next Kafka offset per topic and partition the batch layer holds. */
  offsets: Record<string, Record<string, number>>;
};

export type DagObservation = {
  dagId: string;
  dag: DagInfo | undefined;
  runs: DagRun[];
  /** Failed tasks of the newest failed run, if the newest run failed. */
  failedTasks: FailedTask[];
};

export type Observations = {
  at: Date;
  durationMs: number;
  source: Observed<SourceObservation>;
  topics: Observed<TopicOffsetsResult>;
  lakeSinkLag: Observed<ConsumerGroupLag>;
  connectors: Observed<ConnectorStatus[]>;
  speed: Observed<SpeedTableObservation[]>;
  batch: Observed<BatchWatermark[]>;
  kubernetes: Observed<NamespaceStatus>;
  dags: Observed<DagObservation[]>;
};

/** ClickHouse identifiers are quoted with backticks, part by part. */
export const chIdent = (qualified: string) =>
  qualified
    .split('.')
    .map(part => `\`${part.replace(/`/g, '')}\``)
    .join('.');

/** How far back the speed layer's recent writes are read (a skip index on `_ingested_at` keeps this cheap). */
export const SPEED_LOOKBACK_SECONDS = 3600;

async function observe<T>(
  probes: Probes,
  environment: string,
  system: ProbedSystem,
  fn: () => Promise<T>,
): Promise<Observed<T>> {
  if (!probes.environments.has(environment, system))
    return { state: 'not-configured' };
  try {
    return { state: 'ok', value: await fn() };
  } catch (error) {
    if (error instanceof ProbeError && error.reason === 'not-configured')
      return { state: 'not-configured' };
    return {
      state: 'failed',
      error:
        error instanceof ProbeError
          ? error
          : new ProbeError(system, 'error', (error as Error).message),
    };
  }
}

async function observeSource(
  probes: Probes,
  t: MonitorTargets,
): Promise<SourceObservation> {
  const tables = t.datasets.map(d => d.source);
  const [changes] = await probes.postgres.query<{ changes: string | null }>(
    t.environment,
    `select sum(n_tup_ins + n_tup_upd + n_tup_del)::text as changes
       from pg_stat_user_tables where schemaname || '.' || relname = any($1)`,
    [tables],
  );
  const slots = await probes.postgres.query<{
    active: boolean;
    lag: string | null;
    wal_status: string | null;
  }>(
    t.environment,
    `select active, (pg_current_wal_lsn() - confirmed_flush_lsn)::text as lag, wal_status
       from pg_replication_slots where slot_name = $1`,
    [t.replicationSlot],
  );
  return {
    changes: Number(changes?.changes ?? 0),
    slot: slots[0]
      ? {
          exists: true,
          active: slots[0].active,
          lagBytes: slots[0].lag === null ? null : Number(slots[0].lag),
          walStatus: slots[0].wal_status,
        }
      : { exists: false, active: false, lagBytes: null, walStatus: null },
  };
}

async function observeSpeed(
  probes: Probes,
  t: MonitorTargets,
): Promise<SpeedTableObservation[]> {
  return Promise.all(
    t.datasets.map(async d => {
      const query = (recentOnly: boolean) =>
        probes.clickhouse.query<{
          partition: number;
          next_offset: string;
          newest_event: string | null;
          last_insert: string | null;
        }>(
          t.environment,
          `SELECT _kafka_partition AS partition, toString(max(_kafka_offset) + 1) AS next_offset,
                  toString(max(toDateTime64(${chIdent(
                    d.eventTimeColumn,
                  )}, 3, 'UTC'))) AS newest_event,
                  toString(max(_ingested_at)) AS last_insert
             FROM ${chIdent(d.clickhouseTable)}
            ${
              recentOnly
                ? 'WHERE _ingested_at >= now64(3) - toIntervalSecond({lookback:UInt32})'
                : ''
            }
            GROUP BY partition`,
          { lookback: SPEED_LOOKBACK_SECONDS },
        );
      // Recent writes answer cheaply (skip index on _ingested_at); only an
      // idle table is read whole, to know where the speed layer stopped.
      let rows = await query(true);
      const recent = rows.length > 0;
      if (!recent) rows = await query(false);
      const toIso = (v: string | null) =>
        v ? new Date(`${v.replace(' ', 'T')}Z`).toISOString() : null;
      const newest = (values: Array<string | null>) =>
        values
          .filter((v): v is string => Boolean(v))
          .sort()
          .pop() ?? null;
      return {
        source: d.source,
        topic: d.topic,
        offsets: Object.fromEntries(
          rows.map(r => [String(r.partition), Number(r.next_offset)]),
        ),
        newestEventTime: toIso(newest(rows.map(r => r.newest_event))),
        // Only writes within the lookback count as recent.
        lastInsert: recent ? toIso(newest(rows.map(r => r.last_insert))) : null,
      };
    }),
  );
}

async function observeBatch(
  probes: Probes,
  t: MonitorTargets,
): Promise<BatchWatermark[]> {
  const rows = await probes.snowflake.query<Record<string, any>>(
    t.environment,
    `SELECT TABLE_NAME, TO_VARCHAR(KAFKA_OFFSETS) AS OFFSETS,
            DATE_PART(EPOCH_MILLISECOND, EVENT_TIME_COMPLETE_UP_TO) AS COMPLETE_MS,
            DATE_PART(EPOCH_MILLISECOND, LOADED_AT) AS LOADED_MS
       FROM ${t.watermarkTable}
      QUALIFY ROW_NUMBER() OVER (PARTITION BY TABLE_NAME ORDER BY LOADED_AT DESC, ICEBERG_SNAPSHOT_ID DESC) = 1`,
  );
  const iso = (ms: unknown) =>
    ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
  return rows.map(r => ({
    source: r.TABLE_NAME,
    completeUpTo: iso(r.COMPLETE_MS),
    loadedAt: iso(r.LOADED_MS),
    offsets: r.OFFSETS ? JSON.parse(r.OFFSETS) : {},
  }));
}

async function observeDags(
  probes: Probes,
  t: MonitorTargets,
): Promise<DagObservation[]> {
  return Promise.all(
    Object.values(t.dagIds).map(async dagId => {
      const [dag, runs] = await Promise.all([
        probes.airflow.dag(t.environment, dagId),
        probes.airflow.dagRuns(t.environment, dagId, 5),
      ]);
      const failedTasks =
        runs[0]?.state === 'failed'
          ? await probes.airflow.failedTasks(
              t.environment,
              dagId,
              runs[0].runId,
            )
          : [];
      return { dagId, dag, runs, failedTasks };
    }),
  );
}

/**
 * Asks every system about the pipeline at once; each question has the probe
 * timeout, and an unanswered one is recorded as such without holding up the
 * others.
 */
export async function observePipeline(
  probes: Probes,
  t: MonitorTargets,
): Promise<Observations> {
  const started = Date.now();
  const e = t.environment;
  const [
    source,
    topics,
    lakeSinkLag,
    connectors,
    speed,
    batch,
    kubernetes,
    dags,
  ] = await Promise.all([
    observe(probes, e, 'postgres', () => observeSource(probes, t)),
    observe(probes, e, 'kafka', () =>
      probes.kafka.topicOffsets(e, [...t.cdcTopics, t.deadLetterTopic]),
    ),
    observe(probes, e, 'kafka', () =>
      probes.kafka.consumerGroupLag(e, t.lakeSinkGroup, t.cdcTopics),
    ),
    observe(probes, e, 'connect', () => probes.connect.connectors(e)),
    observe(probes, e, 'clickhouse', () => observeSpeed(probes, t)),
    observe(probes, e, 'snowflake', () => observeBatch(probes, t)),
    observe(probes, e, 'kubernetes', () =>
      probes.kubernetes.namespaceStatus(e, t.namespace),
    ),
    observe(probes, e, 'airflow', () => observeDags(probes, t)),
  ]);
  return {
    at: new Date(),
    durationMs: Date.now() - started,
    source,
    topics,
    lakeSinkLag,
    connectors,
    speed,
    batch,
    kubernetes,
    dags,
  };
}
