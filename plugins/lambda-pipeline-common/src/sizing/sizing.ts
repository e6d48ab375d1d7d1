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
 * When a container runs: `steady` all the time; `burst` only while an
 * Airflow task runs (see BurstRun); `deploy` only while the pipeline is being
 * installed (the Connect image build, the Airflow database migration and
 * admin-user jobs). Burst and deploy never overlap, so the peak is steady
 * plus the larger of the two.
 */
export type Phase = 'steady' | 'burst' | 'deploy';

/**
 * Airflow runs one task at a time (the chart's `config.core.parallelism`),
 * so the burst is one of these runs, never two together: a batch load (its
 * task pod and the Spark driver and executors it waits for), a dbt build
 * (its task pod and the dbt pod), or any other task (its task pod alone).
 * On a 16 GB laptop the loads, builds and checks take turns rather than
 * risk the node's memory.
 */
export const AIRFLOW_PARALLELISM = 1;

/**
 * What the peak must leave free of the budget: the node's own processes
 * beyond the control plane (kubelet, containerd, kube-proxy), image pulls
 * and builds, and the page cache the data services lean on.
 */
export const MIN_HEADROOM_MIB = 1024;
export type BurstRun = 'batch-load' | 'dbt-build';
export const BURST_RUNS: readonly BurstRun[] = ['batch-load', 'dbt-build'];

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
  /** For a burst container: the runs it is part of. */
  burstRuns?: readonly BurstRun[];
  /**
   * For a PySpark executor: the memory of its Python workers
   * (`spark.executor.pyspark.memory`), part of the pod's limit beside the
   * heap and the JVM's overhead.
   */
  pysparkMiB?: number;
  /** For a Spark pod: its memoryOverhead, when not SPARK_MEMORY_OVERHEAD_MIB. */
  sparkOverheadMiB?: number;
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
  /** Steady plus the larger of burst and deploy. */
  peakLimitMiB: number;
  /** Budget minus peak. */
  headroomMiB: number;
  /** Whether the peak leaves at least MIN_HEADROOM_MIB of the budget free. */
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

/**
 * A PySpark driver's overhead: the JVM's native memory and the Python
 * driver process beside it (pyspark, py4j, the job's own code and the
 * micro-batch function), which live outside the heap.
 */
export const PYSPARK_DRIVER_OVERHEAD_MIB = 512;

/** Heap of a spark-submit JVM in the Spark operator's controller. */
export const SPARK_SUBMIT_HEAP_MIB = 192;

const c = (
  id: string,
  title: string,
  layer: Layer,
  [requestMiB, limitMiB, cpuRequestMillis]: [number, number, number],
  renderedIn: string | undefined,
  extra: Partial<
    Pick<
      ComponentSizing,
      'replicas' | 'phase' | 'burstRuns' | 'pysparkMiB' | 'sparkOverheadMiB'
    >
  > = {},
): ComponentSizing => ({
  id,
  title,
  layer,
  requestMiB,
  limitMiB,
  cpuRequestMillis,
  replicas: extra.replicas ?? 1,
  phase: extra.phase ?? 'steady',
  ...(extra.burstRuns ? { burstRuns: extra.burstRuns } : {}),
  ...(extra.pysparkMiB ? { pysparkMiB: extra.pysparkMiB } : {}),
  ...(extra.sparkOverheadMiB
    ? { sparkOverheadMiB: extra.sparkOverheadMiB }
    : {}),
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
      // Its Go process (~150 MiB) and the spark-submit JVMs it starts, one
      // per SparkApplication being submitted (at most two here: the speed
      // job restarting while a batch load is submitted), each capped at
      // SPARK_SUBMIT_HEAP_MIB (SPARK_SUBMIT_OPTS), about 300 MiB resident.
      'Spark operator controller (and its spark-submit JVMs)',
      'platform',
      [512, 768, 100],
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
      // 640 MiB heap; the rest is page cache (reclaimed before any OOM) and
      // off-heap buffers.
      [1152, 1152, 500],
      'base/kafka/kafka.yaml: KafkaNodePool spec.resources',
    ),
    c(
      'kafka-topic-operator',
      'Strimzi topic operator',
      'ingest',
      [224, 256, 100],
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
      // 512 MiB heap; 512 MiB overhead for the JVM's native memory and the
      // Python driver, which runs each micro-batch's function.
      [1024, 1024, 500],
      'base/spark/speed.yaml: driver memory + memoryOverhead',
      { sparkOverheadMiB: PYSPARK_DRIVER_OVERHEAD_MIB },
    ),
    c(
      'speed-executor',
      'Speed job executor (JVM and Python workers)',
      'speed',
      // 512 MiB heap, 384 MiB JVM overhead, and 256 MiB for the Python
      // workers that insert each partition into ClickHouse (two cores: two
      // workers of 128 MiB), so they no longer share the JVM's overhead.
      [1152, 1152, sparkCores],
      'base/spark/speed.yaml: executor memory + memoryOverhead + spark.executor.pyspark.memory',
      { replicas: executors, pysparkMiB: 256 },
    ),
    c(
      'clickhouse',
      'ClickHouse (speed-layer serving)',
      'serving',
      // The server caps itself at 75% of this (max_server_memory_usage_to_ram_ratio).
      [1280, 1280, 500],
      'base/clickhouse/statefulset.yaml',
    ),
    c(
      'airflow-api-server',
      'Airflow API server',
      'orchestration',
      [576, 640, 100],
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
      'Batch job driver (Spark, during a load)',
      'batch',
      [1024, 1024, 500],
      'base/spark/batch.yaml: driver memory + memoryOverhead',
      {
        phase: 'burst',
        burstRuns: ['batch-load'],
        sparkOverheadMiB: PYSPARK_DRIVER_OVERHEAD_MIB,
      },
    ),
    c(
      'batch-executor',
      'Batch job executor (during a load)',
      'batch',
      [1024, 1024, sparkCores],
      'base/spark/batch.yaml: executor memory + memoryOverhead',
      { phase: 'burst', burstRuns: ['batch-load'] },
    ),
    c(
      'dbt-build',
      'dbt build pod (after each batch load)',
      'batch',
      [384, 512, 200],
      'DAG repo pipeline.json: dbt.resources (the dbt DAG pod)',
      { phase: 'burst', burstRuns: ['dbt-build'] },
    ),
    c(
      'airflow-task',
      'Airflow task pod (KubernetesExecutor; one at a time)',
      'orchestration',
      [448, 512, 100],
      'helm/airflow.values.yaml: workers.resources',
      {
        phase: 'burst',
        burstRuns: BURST_RUNS,
        replicas: AIRFLOW_PARALLELISM,
      },
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

const RUN_TEXT: Record<BurstRun, string> = {
  'batch-load': 'a batch load',
  'dbt-build': 'a dbt build',
};

/** When a container runs, in words (the memory tables of the UI and the README). */
export function describePhase(component: ComponentSizing): string {
  if (component.phase === 'steady') return 'always';
  if (component.phase === 'deploy') return 'once, while deploying';
  const runs = component.burstRuns ?? BURST_RUNS;
  return runs.length === BURST_RUNS.length
    ? 'during any Airflow task (one at a time)'
    : `during ${runs.map(run => RUN_TEXT[run]).join(' or ')}`;
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
  const sum = (selected: ComponentSizing[]) =>
    selected.reduce(
      (total, component) => total + component.limitMiB * component.replicas,
      0,
    );
  const inPhase = (phase: Phase) =>
    components.filter(component => component.phase === phase);
  const steadyLimitMiB = sum(inPhase('steady'));
  // One run at a time (AIRFLOW_PARALLELISM): the largest run is the burst.
  const burstLimitMiB = Math.max(
    ...BURST_RUNS.map(run =>
      sum(
        inPhase('burst').filter(component =>
          (component.burstRuns ?? BURST_RUNS).includes(run),
        ),
      ),
    ),
  );
  const deployLimitMiB = sum(inPhase('deploy'));
  const peakLimitMiB = steadyLimitMiB + Math.max(burstLimitMiB, deployLimitMiB);
  return {
    budgetMiB,
    components,
    steadyLimitMiB,
    burstLimitMiB,
    deployLimitMiB,
    peakLimitMiB,
    headroomMiB: budgetMiB - peakLimitMiB,
    fits: budgetMiB - peakLimitMiB >= MIN_HEADROOM_MIB,
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
