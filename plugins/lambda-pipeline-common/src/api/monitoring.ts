/**
 * Types of the monitoring API (`GET .../health`, `.../throughput`,
 * `.../consistency`), shared by the backend and the frontend. The OpenAPI
 * description is `plugins/lambda-pipeline-backend/openapi.yaml`.
 */

/** ok: working as intended; degraded: working, but something needs attention (or cannot be checked); down: not working. */
export type HealthStatus = 'ok' | 'degraded' | 'down';

export type LayerId = 'ingest' | 'speed' | 'batch' | 'serving';

/** The numbers a status is based on (offsets, seconds, counts, states). */
export type Evidence = Record<string, number | string | boolean | null>;

export interface ComponentHealth {
  /** Stable id within the pipeline, e.g. `cdc-connector`, `clickhouse`. */
  id: string;
  title: string;
  /** The system the evidence comes from. */
  system:
    | 'postgres'
    | 'kafka'
    | 'connect'
    | 'clickhouse'
    | 'snowflake'
    | 'kubernetes'
    | 'airflow'
    | 'monitor';
  status: HealthStatus;
  /** One sentence: why this status (and what to do when it is not ok). */
  reason: string;
  evidence: Evidence;
}

export interface LayerHealth {
  id: LayerId;
  title: string;
  status: HealthStatus;
  reason: string;
  /**
   * How current the layer's data is: seconds behind now (speed), or the
   * event time it is complete up to (batch), with a sentence for people.
   */
  freshness?: { seconds?: number; completeUpTo?: string; text: string };
  components: ComponentHealth[];
}

/** `GET /pipelines/:namespace/:name/health` */
export interface PipelineHealthResponse {
  entityRef: string;
  environment: string;
  status: HealthStatus;
  reason: string;
  checkedAt: string;
  /** How long the probes took together. */
  durationMs: number;
  layers: LayerHealth[];
  /** What is not monitored because its system is not configured for the environment. */
  notMonitored: string[];
}

export type StageId = 'source' | 'ingest' | 'speed' | 'batch';

export interface ThroughputPoint {
  /** End of the sampling interval. */
  t: string;
  eventsPerSecond: number;
}

export interface StageThroughput {
  id: StageId;
  title: string;
  /** Events/s over the newest sampling interval; null until two samples exist. */
  current: number | null;
  /** current / target. */
  ofTarget: number | null;
  /** Events waiting for this stage (offsets behind its input), when known. */
  backlog: number | null;
  series: ThroughputPoint[];
}

/** `GET /pipelines/:namespace/:name/throughput` */
export interface PipelineThroughputResponse {
  entityRef: string;
  environment: string;
  targetEventsPerSecond: number;
  /** Seconds between samples (the sampler's schedule). */
  sampleIntervalSeconds: number;
  stages: StageThroughput[];
  /** The stage that holds the pipeline back, or null when every stage keeps up. */
  bottleneck: { stage: StageId; reason: string } | null;
  /** Why there is no bottleneck, or how far from the target the pipeline is. */
  summary: string;
  samples: number;
  /** Events waiting per consumer of the CDC topics, now and over the same samples. */
  lag: ConsumerLag[];
  /** The dead-letter topic: events ever written, and how many arrived per interval. */
  deadLetters: {
    topic: string;
    total: number | null;
    series: DeadLetterPoint[];
  };
}

export interface LagPoint {
  t: string;
  events: number;
}

/** One consumer of the CDC topics: the speed job, the batch load, the lake sink's group. */
export interface ConsumerLag {
  id: 'speed' | 'batch' | 'lake-sink';
  title: string;
  /** The Kafka consumer group, where the consumer has one. */
  group?: string;
  /** Events behind the end of the CDC topics in the newest sample. */
  current: number | null;
  series: LagPoint[];
}

export interface DeadLetterPoint {
  /** End of the sampling interval. */
  t: string;
  /** Events that arrived in the dead-letter topic during the interval. */
  newEvents: number;
}

export type WindowStatus = 'consistent' | 'converging' | 'diverged';

/** What one layer holds for one window (latest version of every key). */
export interface WindowFigures {
  rows: number;
  distinctKeys: number;
  deleted: number;
  /** XOR of the row fingerprints, as a decimal string (signed 64-bit). */
  fingerprintXor: string;
  /** Exact sums of the measures, as decimal strings. */
  sums: Record<string, string>;
}

export interface ConsistencyWindow {
  table: string;
  windowStart: string;
  windowEnd: string;
  /** Closed: older than the batch watermark plus the allowed lateness, so it must match exactly. */
  closed: boolean;
  status: WindowStatus;
  speed: WindowFigures | null;
  batch: WindowFigures | null;
  /** What differs, e.g. `rows 120 vs 118`, `sum amount 10.50 vs 9.25`. */
  differences: string[];
}

export interface ConsistencyRun {
  checkedAt: string;
  status: WindowStatus;
  consistent: number;
  converging: number;
  diverged: number;
}

/** `GET /pipelines/:namespace/:name/consistency` */
export interface PipelineConsistencyResponse {
  entityRef: string;
  environment: string;
  status: WindowStatus;
  reason: string;
  checkedAt: string;
  /** Event time the batch layer is complete up to, per the last batch load. */
  batchWatermark: string | null;
  /** Windows ending before this are judged exactly (watermark minus allowed lateness). */
  judgedUpTo: string | null;
  windowMinutes: number;
  windows: ConsistencyWindow[];
  /** Earlier checks, newest first. */
  history: ConsistencyRun[];
  /** What to do about diverged windows. */
  repair?: string;
}
