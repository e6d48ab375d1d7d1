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

/**
 * When a container runs: `steady` all the time; `burst` only while a batch
 * run is active (the batch driver/executor and the Airflow task pod);
 * `deploy` only while the pipeline is being installed (the Connect image
 * build, the Airflow database migration). Burst and deploy never overlap, so
 * the peak is steady plus the larger of the two.
 */
export type Phase = 'steady' | 'burst' | 'deploy';

/** One container of the deployment and what each of its replicas reserves. */
export interface ComponentSizing {
  id: string;
  title: string;
  layer: Layer;
  replicas: number;
  requestMiB: number;
  limitMiB: number;
  cpuRequestMillis: number;
  phase: Phase;
  /**
   * Where the rendered platform repo sets this container's resources, or
   * undefined for what kind itself runs (control plane) or runs beside it
   * (the registry).
   */
  renderedIn?: string;
}

export interface MemoryPlan {
  budgetMiB: number;
  components: ComponentSizing[];
  steadyLimitMiB: number;
  burstLimitMiB: number;
  deployLimitMiB: number;
  /** Steady plus the larger of burst and deploy: what must fit in the budget. */
  peakLimitMiB: number;
  headroomMiB: number;
  fits: boolean;
}

export interface PipelineSizing {
  partitions: number;
  speedExecutors: number;
  /** Upper bound of records per micro-batch; twice the target so a backlog drains. */
  maxOffsetsPerTrigger: number;
  /** Lake sink tasks: one per two CDC partitions (each task holds a writer per table). */
  lakeSinkTasks: number;
  /** Raw landing sink: records per uploaded object (ten seconds of the target rate). */
  rawBatchMessages: number;
  memory: MemoryPlan;
}

/**
 * Spark pods: the operator adds `memoryOverhead` to the JVM heap to size the
 * pod (at least 384 MiB: kubeflow/spark-operator#817), so the heap is the
 * pod limit minus this.
 */
export const SPARK_MEMORY_OVERHEAD_MIB = 384;

const c = (
  id: string,
  title: string,
  layer: Layer,
  [requestMiB, limitMiB, cpuRequestMillis]: [number, number, number],
  renderedIn: string | undefined,
  extra: Partial<Pick<ComponentSizing, 'replicas' | 'phase'>> = {},
): ComponentSizing => ({
  id,
  title,
  layer,
  requestMiB,
  limitMiB,
  cpuRequestMillis,
  replicas: extra.replicas ?? 1,
  phase: extra.phase ?? 'steady',
  renderedIn,
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

/**
 * Pods of the Airflow chart that carry a git-sync sidecar: the DAG processor,
 * the triggerer and (counted conservatively, the chart adds it in some
 * configurations) the scheduler. Task pods get git-sync as an init container,
 * which does not add to the pod's limit.
 */
export const AIRFLOW_GIT_SYNC_SIDECARS = 3;

/** Every container the deployment runs, with its memory and CPU reservations. */
export function componentSizing(
  targetEventsPerSecond: number,
): ComponentSizing[] {
  const executors = speedExecutorsFor(targetEventsPerSecond);
  const sparkCores = SPARK_EXECUTOR_CORES * 500;
  return [
    c(
      'kind-control-plane',
      'kind control plane (API server, etcd, CoreDNS, local-path)',
      'platform',
      [1229, 1229, 500],
      undefined,
    ),
    c(
      'local-registry',
      'Local image registry (beside kind)',
      'platform',
      [64, 64, 50],
      undefined,
    ),
    c(
      'strimzi-operator',
      'Strimzi cluster operator',
      'platform',
      [384, 410, 100],
      'helm/strimzi.values.yaml: resources',
    ),
    c(
      'sealed-secrets',
      'Sealed Secrets controller',
      'platform',
      [96, 128, 50],
      'helm/sealed-secrets.values.yaml: resources',
    ),
    c(
      'spark-operator-controller',
      'Spark operator controller',
      'platform',
      [256, 384, 100],
      'helm/spark-operator.values.yaml: controller.resources',
    ),
    c(
      'spark-operator-webhook',
      'Spark operator webhook',
      'platform',
      [96, 128, 50],
      'helm/spark-operator.values.yaml: webhook.resources',
    ),
    c(
      'postgres',
      'PostgreSQL (source OLTP, logical WAL)',
      'ingest',
      [768, 819, 250],
      'base/postgres/statefulset.yaml',
    ),
    c(
      'kafka',
      'Kafka broker + KRaft controller',
      'ingest',
      [1280, 1331, 500],
      'base/kafka/kafka.yaml: KafkaNodePool spec.resources',
    ),
    c(
      'kafka-topic-operator',
      'Strimzi topic operator',
      'ingest',
      [256, 320, 100],
      'base/kafka/kafka.yaml: entityOperator.topicOperator.resources',
    ),
    c(
      'kafka-exporter',
      'Kafka exporter (consumer lag metrics)',
      'ingest',
      [64, 96, 50],
      'base/kafka/kafka.yaml: kafkaExporter.resources',
    ),
    c(
      'kafka-connect',
      'Kafka Connect (Debezium + lake sink)',
      'ingest',
      [1280, 1331, 500],
      'base/kafka/connect.yaml: spec.resources',
    ),
    c(
      'speed-driver',
      'Speed job driver (Spark Structured Streaming)',
      'speed',
      [1024, 1024, 500],
      'base/spark/speed.yaml: driver memory + memoryOverhead',
    ),
    c(
      'speed-executor',
      'Speed job executor',
      'speed',
      [1024, 1024, sparkCores],
      'base/spark/speed.yaml: executor memory + memoryOverhead',
      { replicas: executors },
    ),
    c(
      'clickhouse',
      'ClickHouse (speed-layer serving)',
      'serving',
      [1536, 1536, 500],
      'base/clickhouse/statefulset.yaml',
    ),
    c(
      'airflow-api-server',
      'Airflow API server',
      'orchestration',
      [640, 768, 100],
      'helm/airflow.values.yaml: apiServer.resources',
    ),
    c(
      'airflow-scheduler',
      'Airflow scheduler',
      'orchestration',
      [448, 512, 100],
      'helm/airflow.values.yaml: scheduler.resources',
    ),
    c(
      'airflow-dag-processor',
      'Airflow DAG processor',
      'orchestration',
      [320, 384, 100],
      'helm/airflow.values.yaml: dagProcessor.resources',
    ),
    c(
      'airflow-triggerer',
      'Airflow triggerer',
      'orchestration',
      [192, 256, 50],
      'helm/airflow.values.yaml: triggerer.resources',
    ),
    c(
      'airflow-git-sync',
      'git-sync sidecars (DAG repository)',
      'orchestration',
      [48, 64, 20],
      'helm/airflow.values.yaml: dags.gitSync.resources',
      { replicas: AIRFLOW_GIT_SYNC_SIDECARS },
    ),
    c(
      'prometheus',
      'Prometheus (metrics and alert rules)',
      'observability',
      [384, 448, 100],
      'helm/kube-prometheus-stack.values.yaml: prometheus.prometheusSpec.resources',
    ),
    c(
      'prometheus-config-reloader',
      'Prometheus config reloader',
      'observability',
      [24, 32, 10],
      'helm/kube-prometheus-stack.values.yaml: prometheusOperator.prometheusConfigReloader.resources',
    ),
    c(
      'prometheus-operator',
      'Prometheus operator',
      'observability',
      [64, 96, 50],
      'helm/kube-prometheus-stack.values.yaml: prometheusOperator.resources',
    ),
    c(
      'kube-state-metrics',
      'kube-state-metrics (pod and object state for alerts)',
      'observability',
      [64, 96, 20],
      'helm/kube-prometheus-stack.values.yaml: kube-state-metrics.resources',
    ),
    c(
      'grafana',
      'Grafana (pipeline dashboard)',
      'observability',
      [160, 192, 50],
      'helm/kube-prometheus-stack.values.yaml: grafana.resources',
    ),
    c(
      'grafana-dashboard-sidecar',
      'Grafana dashboard loader sidecar',
      'observability',
      [48, 64, 10],
      'helm/kube-prometheus-stack.values.yaml: grafana.sidecar.resources',
    ),
    c(
      'batch-driver',
      'Batch job driver (Spark, during a run)',
      'batch',
      [1024, 1024, 500],
      'base/spark/batch.yaml: driver memory + memoryOverhead',
      { phase: 'burst' },
    ),
    c(
      'batch-executor',
      'Batch job executor (during a run)',
      'batch',
      [1024, 1024, sparkCores],
      'base/spark/batch.yaml: executor memory + memoryOverhead',
      { phase: 'burst' },
    ),
    c(
      'dbt-build',
      'dbt build pod (after each batch load)',
      'batch',
      [384, 512, 200],
      'DAG repo pipeline.json: dbt.resources (the dbt DAG pod)',
      { phase: 'burst' },
    ),
    c(
      'airflow-task',
      'Airflow task pod (KubernetesExecutor, during a run)',
      'orchestration',
      [448, 512, 100],
      'helm/airflow.values.yaml: workers.resources',
      { phase: 'burst' },
    ),
    c(
      'kafka-connect-build',
      'Kafka Connect image build (once, at deploy)',
      'ingest',
      [768, 1024, 250],
      'base/kafka/connect.yaml: spec.build.resources',
      { phase: 'deploy' },
    ),
    c(
      'airflow-migrate-db',
      'Airflow database migration (once, at deploy)',
      'orchestration',
      [256, 384, 100],
      'helm/airflow.values.yaml: migrateDatabaseJob.resources',
      { phase: 'deploy' },
    ),
    c(
      'airflow-create-user',
      "Airflow's admin user (once, at deploy, beside the migration)",
      'orchestration',
      [256, 384, 100],
      'helm/airflow.values.yaml: createUserJob.resources',
      { phase: 'deploy' },
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
  const deployLimitMiB = sum('deploy');
  const peakLimitMiB = steadyLimitMiB + Math.max(burstLimitMiB, deployLimitMiB);
  return {
    budgetMiB,
    components,
    steadyLimitMiB,
    burstLimitMiB,
    deployLimitMiB,
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
    lakeSinkTasks: Math.max(
      1,
      Math.ceil((spec.spec.kafka.partitions ?? partitionsFor(target)) / 2),
    ),
    rawBatchMessages: Math.max(1000, target * 10),
    memory: memoryPlan(spec),
  };
}
