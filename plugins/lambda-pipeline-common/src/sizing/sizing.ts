import type { LambdaPipeline } from '../spec/schema';
import { parseMemoryMiB } from './quantity';

/**
 * Sizing: how many partitions and executors a pipeline needs for its target
 * rate, and how much memory every container of the generated deployment asks
 * for. The skeletons render their resources from this table, so the table is
 * by construction the sum of what gets deployed.
 *
 * The per-unit rates are deliberately conservative figures for a laptop-class
 * kind node (2-4 cores given to Docker Desktop); bench/ measures the real ones.
 */

/** Events per second one Kafka partition is planned for. */
export const EVENTS_PER_PARTITION = 5_000;
/** Events per second one speed-layer executor (2 cores) is planned for. */
export const EVENTS_PER_SPEED_EXECUTOR = 25_000;
/** Cores per Spark executor. */
export const SPARK_EXECUTOR_CORES = 2;

export type Layer =
  | 'platform'
  | 'ingest'
  | 'speed'
  | 'batch'
  | 'serving'
  | 'orchestration'
  | 'observability';

/** One workload of the deployment and what each of its replicas reserves. */
export interface ComponentSizing {
  id: string;
  title: string;
  layer: Layer;
  replicas: number;
  requestMiB: number;
  limitMiB: number;
  cpuRequestMillis: number;
  /**
   * `steady` runs all the time; `burst` only while a batch run is active
   * (the batch driver/executor and the Airflow task pod).
   */
  phase: 'steady' | 'burst';
  /** False for what kind itself runs (control plane) or runs beside it (registry). */
  rendered: boolean;
}

export interface MemoryPlan {
  budgetMiB: number;
  components: ComponentSizing[];
  steadyLimitMiB: number;
  burstLimitMiB: number;
  /** Steady plus burst: what must fit in the budget. */
  peakLimitMiB: number;
  headroomMiB: number;
  fits: boolean;
}

export interface PipelineSizing {
  partitions: number;
  speedExecutors: number;
  /** Upper bound of records per micro-batch; twice the target so a backlog drains. */
  maxOffsetsPerTrigger: number;
  memory: MemoryPlan;
}

const c = (
  id: string,
  title: string,
  layer: Layer,
  requestMiB: number,
  limitMiB: number,
  cpuRequestMillis: number,
  extra: Partial<Pick<ComponentSizing, 'replicas' | 'phase' | 'rendered'>> = {},
): ComponentSizing => ({
  id,
  title,
  layer,
  requestMiB,
  limitMiB,
  cpuRequestMillis,
  replicas: extra.replicas ?? 1,
  phase: extra.phase ?? 'steady',
  rendered: extra.rendered ?? true,
});

export function speedExecutorsFor(targetEventsPerSecond: number): number {
  return Math.max(
    1,
    Math.ceil(targetEventsPerSecond / EVENTS_PER_SPEED_EXECUTOR),
  );
}

export function partitionsFor(targetEventsPerSecond: number): number {
  const cores = speedExecutorsFor(targetEventsPerSecond) * SPARK_EXECUTOR_CORES;
  const byRate = Math.ceil(targetEventsPerSecond / EVENTS_PER_PARTITION);
  // Round up to a multiple of the executor cores so every core gets equal work.
  return Math.ceil(Math.max(byRate, cores) / cores) * cores;
}

/** Every container the deployment runs, with its memory and CPU reservations. */
export function componentSizing(
  targetEventsPerSecond: number,
): ComponentSizing[] {
  const executors = speedExecutorsFor(targetEventsPerSecond);
  return [
    c(
      'kind-control-plane',
      'kind control plane (API server, etcd, CoreDNS, local-path)',
      'platform',
      1229,
      1229,
      500,
      { rendered: false },
    ),
    c(
      'local-registry',
      'Local image registry (beside kind)',
      'platform',
      64,
      64,
      50,
      { rendered: false },
    ),
    c(
      'strimzi-operator',
      'Strimzi cluster operator',
      'platform',
      384,
      410,
      100,
    ),
    c('sealed-secrets', 'Sealed secrets controller', 'platform', 96, 128, 50),
    c('spark-operator', 'Spark operator', 'platform', 384, 512, 100),
    c(
      'postgres',
      'PostgreSQL (source OLTP, logical WAL)',
      'ingest',
      768,
      819,
      250,
    ),
    c('kafka', 'Kafka broker + KRaft controller', 'ingest', 1280, 1331, 500),
    c(
      'kafka-connect',
      'Kafka Connect (Debezium + lake sink)',
      'ingest',
      1280,
      1331,
      500,
    ),
    c(
      'speed-driver',
      'Speed job driver (Spark Structured Streaming)',
      'speed',
      1024,
      1024,
      500,
    ),
    c(
      'speed-executor',
      'Speed job executor',
      'speed',
      1024,
      1024,
      SPARK_EXECUTOR_CORES * 500,
      { replicas: executors },
    ),
    c(
      'clickhouse',
      'ClickHouse (speed-layer serving)',
      'serving',
      1536,
      1536,
      500,
    ),
    c(
      'airflow-api-server',
      'Airflow API server',
      'orchestration',
      640,
      768,
      100,
    ),
    c('airflow-scheduler', 'Airflow scheduler', 'orchestration', 448, 512, 100),
    c(
      'airflow-dag-processor',
      'Airflow DAG processor + git-sync',
      'orchestration',
      320,
      384,
      100,
    ),
    c('airflow-triggerer', 'Airflow triggerer', 'orchestration', 192, 256, 50),
    c(
      'prometheus',
      'Prometheus (metrics and alert rules)',
      'observability',
      448,
      512,
      100,
    ),
    c(
      'batch-driver',
      'Batch job driver (Spark, during a run)',
      'batch',
      1024,
      1024,
      500,
      { phase: 'burst' },
    ),
    c(
      'batch-executor',
      'Batch job executor (during a run)',
      'batch',
      1024,
      1024,
      SPARK_EXECUTOR_CORES * 500,
      { phase: 'burst' },
    ),
    c(
      'airflow-task',
      'Airflow task pod (KubernetesExecutor, during a run)',
      'orchestration',
      448,
      512,
      100,
      { phase: 'burst' },
    ),
  ];
}

/** The memory plan of a pipeline's deployment against its budget. */
export function memoryPlan(spec: LambdaPipeline): MemoryPlan {
  return memoryPlanFor(
    spec.spec.throughput.targetEventsPerSecond,
    parseMemoryMiB(spec.spec.resources.memoryBudget),
  );
}

export function memoryPlanFor(
  targetEventsPerSecond: number,
  budgetMiB: number,
): MemoryPlan {
  const components = componentSizing(targetEventsPerSecond);
  const sum = (phase: ComponentSizing['phase']) =>
    components
      .filter(component => component.phase === phase)
      .reduce(
        (total, component) => total + component.limitMiB * component.replicas,
        0,
      );
  const steadyLimitMiB = sum('steady');
  const burstLimitMiB = sum('burst');
  const peakLimitMiB = steadyLimitMiB + burstLimitMiB;
  return {
    budgetMiB,
    components,
    steadyLimitMiB,
    burstLimitMiB,
    peakLimitMiB,
    headroomMiB: budgetMiB - peakLimitMiB,
    fits: peakLimitMiB <= budgetMiB,
  };
}

export function pipelineSizing(spec: LambdaPipeline): PipelineSizing {
  const target = spec.spec.throughput.targetEventsPerSecond;
  return {
    partitions: spec.spec.kafka.partitions ?? partitionsFor(target),
    speedExecutors: speedExecutorsFor(target),
    maxOffsetsPerTrigger: target * spec.spec.speed.triggerIntervalSeconds * 2,
    memory: memoryPlan(spec),
  };
}
