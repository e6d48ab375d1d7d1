import {
  DAG_LIVE_TARGET_SECONDS,
  MIN_DAG_REFRESH_SECONDS,
} from '../spec/limits';
import {
  networkPolicies,
  NODE_PORTS,
  PlannedNetworkPolicy,
  PORTS,
} from '../network/connections';
import {
  batchApplicationName,
  cdcConnectorName,
  cdcTopicName,
  clickhouseDatabase,
  controlSchemaName,
  datasetEntityName,
  dbtMartModels,
  martsSchemaName,
  datasetTableName,
  deadLetterTopicName,
  heartbeatTopicName,
  signalTableName,
  signalTopicName,
  icebergControlTopicName,
  icebergNamespace,
  kafkaClusterName,
  kafkaConnectName,
  kafkaTopicResourceName,
  kubernetesNamespace,
  lakePaths,
  lakeSinkConnectorName,
  publicationName,
  qualifiedSourceName,
  replicationSlotName,
  snowflakeStagingTableName,
  snowflakeTableName,
  speedApplicationName,
  speedConsumerGroup,
  airflowDagIds,
} from '../naming/pipelineNames';
import { toEntityName } from '../naming/rules';
import type { LambdaPipeline, SourceTable } from '../spec/schema';
import { LayerTypes, layerTypes } from '../spec/typeMapping';
import {
  BATCH_LAYER_COLUMNS,
  LayerColumn,
  SPEED_INGESTED_AT_INDEX,
  SPEED_LAYER_COLUMNS,
} from '../spec/layerColumns';
import {
  DBT_IMAGE_PYTHON,
  LOCAL_REGISTRY,
  LockedJar,
  PinnedVersion,
  pinnedImage,
  SPARK_JOB_JARS,
  SPARK_JOB_PYTHON,
  VERSIONS,
} from '../versions/versions';
import { shortHash } from '../naming/hash';
import { formatMiB } from './quantity';
import {
  AIRFLOW_PARALLELISM,
  describePhase,
  PipelineSizing,
  SPARK_MEMORY_OVERHEAD_MIB,
  SPARK_SUBMIT_HEAP_MIB,
  pipelineSizing,
} from './sizing';

/** A Kafka topic the pipeline owns and the Strimzi KafkaTopic that declares it. */
export interface PlannedTopic {
  name: string;
  resourceName: string;
  partitions: number;
}

/** A source column with its type in every layer. */
export interface PlannedColumn extends LayerTypes {
  name: string;
  nullable: boolean;
  isKey: boolean;
  isMeasure: boolean;
  isEventTime: boolean;
}

/** Catalog entity names of one dataset in every layer. */
export interface PlannedEntities {
  source: string;
  topic: string;
  icebergTable: string;
  clickhouseTable: string;
  snowflakeTable: string;
  snowflakeStagingTable: string;
}

/** Where one source table's rows live in every layer. */
export interface PlannedDataset {
  /** `schema.table` in PostgreSQL. */
  source: string;
  sourceSchema: string;
  sourceTable: string;
  /** Table name used in ClickHouse and Iceberg (`schema_table` outside `public`). */
  tableName: string;
  topic: PlannedTopic;
  clickhouseTable: string;
  icebergTable: string;
  snowflakeTable: string;
  snowflakeStagingTable: string;
  columns: PlannedColumn[];
  primaryKey: string[];
  eventTimeColumn: string;
  measures: string[];
  entities: PlannedEntities;
  /** dbt mart models built from this table, with their Snowflake table and catalog entity. */
  marts: Array<{ model: string; table: string; entity: string }>;
}

/** Resources of one rendered container, as Kubernetes quantities. */
export interface PlannedResources {
  replicas: number;
  requestMemory: string;
  limitMemory: string;
  requestCpu: string;
  /** Spark pods only: JVM heap (`memory`) and `memoryOverhead`, summing to the limit. */
  sparkMemory?: string;
  sparkMemoryOverhead?: string;
  /** spark.executor.pyspark.memory, for PySpark executors that have it. */
  pysparkMemory?: string;
}

/**
 * Everything the skeletons need beyond the spec itself: sizes, every derived
 * name and the version matrix, computed once so no template re-derives them.
 */
export interface PipelinePlan {
  spec: LambdaPipeline;
  sizing: PipelineSizing;
  namespace: string;
  datasets: PlannedDataset[];
  topics: {
    deadLetter: PlannedTopic;
    icebergControl: PlannedTopic;
    heartbeat: PlannedTopic;
    /** Debezium's signal table, captured like a source table. */
    signal: PlannedTopic;
  };
  names: {
    kafkaCluster: string;
    /** The KafkaNodePool (controller and broker in one). */
    kafkaNodePool: string;
    kafkaBootstrap: string;
    kafkaConnect: string;
    cdcConnector: string;
    lakeSinkConnector: string;
    replicationSlot: string;
    publication: string;
    controlSchema: string;
    /** `schema.table` of every source table. */
    sourceTables: string[];
    cdcTopics: string[];
    icebergTables: string[];
    /** Distinct PostgreSQL schemas of the source tables. */
    sourceSchemas: string[];
    heartbeatTable: string;
    signalTable: string;
    speedConsumerGroup: string;
    speedApplication: string;
    batchApplication: string;
    clickhouseDatabase: string;
    icebergNamespace: string;
    systemEntity: string;
    componentEntity: string;
    deadLetterEntity: string;
  };
  lake: { warehouse: string; raw: string; checkpoints: string };
  /** Per rendered container id (see `componentSizing`). */
  resources: Record<string, PlannedResources>;
  /** The memory table as rows for the README. */
  memoryTable: Array<{
    title: string;
    layer: string;
    phase: string;
    replicas: number;
    request: string;
    limit: string;
    total: string;
    renderedIn: string;
  }>;
  versions: Record<string, PinnedVersion>;
  /** The columns every speed and batch table carries besides the source's (see layerColumns.ts). */
  layerColumns: {
    speed: LayerColumn[];
    batch: LayerColumn[];
    speedIngestedAtIndex: string;
  };
  /** Airflow: how quickly a push to the DAG repo is live (git-sync period + DAG-folder refresh). */
  airflow: {
    /** Helm release of the chart; the chart names its objects after it. */
    release: string;
    /** ServiceAccount of the task pods (the chart's `<release>-worker`): it submits the batch SparkApplications. */
    workerServiceAccount: string;
    gitSyncPeriodSeconds: number;
    dagRefreshIntervalSeconds: number;
    worstCaseDagDelaySeconds: number;
    /**
     * Airflow's metadata database: a database and role in the pipeline's own
     * PostgreSQL (its init script creates them from the Secret
     * spec.secrets.airflowDatabase, keys username and password), reached as
     * the Service `postgres`.
     */
    metadataDatabase: { name: string; host: string; port: number };
    /** Tasks running at once (the memory plan counts this many task pods). */
    parallelism: number;
  };
  /** Heap of each spark-submit JVM inside the Spark operator's controller. */
  sparkSubmitHeapMiB: number;
  /**
   * The pipeline's persistent volumes. On its own kind cluster (scripts/up.sh)
   * each is a PersistentVolume on a host directory mounted into the node
   * (kind/cluster.yaml), bound to its claim by name, so the data outlives
   * the cluster; elsewhere the claims are provisioned dynamically.
   */
  volumes: {
    /** The StorageClass of the host-directory volumes (no provisioner). */
    storageClass: string;
    /** Where the host directory appears inside the kind node. */
    nodePath: string;
    /** By what keeps its data there. */
    claims: Record<
      'postgres' | 'clickhouse' | 'kafka' | 'airflowLogs',
      {
        /** The directory under nodePath and under the host's data directory. */
        dir: string;
        /** The PersistentVolumeClaim, as its owner names it. */
        claim: string;
        size: string;
      }
    >;
  };
  /**
   * What the generated Spark jobs and DAGs read (`jobs/pipeline.json`): every
   * name and type they need, so no Python code re-derives a name.
   */
  jobs: JobsConfig;
  /** The NetworkPolicies (deploy/base/network-policies.yaml), from the required connections. */
  networkPolicies: PlannedNetworkPolicy[];
  /**
   * kind's local registry (scripts/up.sh runs it): one registry with the two
   * addresses kind's recipe gives it. Pods, containerd on the node and
   * Strimzi's Connect build use `cluster`; the host pushes to `host`.
   */
  registry: {
    container: string;
    host: string;
    cluster: string;
    hostPort: number;
  };
  /**
   * The images the pipeline puts into that registry, as the manifests name
   * them. scripts/up.sh pushes the Spark image under a tag of its content
   * and applies the manifests with that tag instead.
   */
  images: { spark: string; connect: string };
  /** The pipeline's Spark image (images/spark/Dockerfile). */
  sparkImage: {
    /** Its repository in the registry. */
    repository: string;
    /** The official Spark image it builds on (the Dockerfile's ARG SPARK_BASE). */
    base: string;
    /** The jars it adds to Spark's, with their checksums. */
    jars: readonly LockedJar[];
    /** The Python packages it adds (pinned, dependencies included). */
    python: readonly string[];
  };
  /**
   * The pipeline's dbt image (images/dbt/Dockerfile), which the dbt DAG's
   * pod runs. Its tag is worked out from what goes into it (base image and
   * packages), because the DAG repository names it and cannot learn a tag
   * at deploy time.
   */
  dbtImage: {
    repository: string;
    /** The official Python image it builds on (the Dockerfile's ARG PYTHON_BASE). */
    base: string;
    /** dbt and its dependencies, pinned. */
    python: readonly string[];
    tag: string;
  };
  /** Ports the pipeline's pods listen on, and the NodePorts kind maps to the host. */
  ports: typeof PORTS;
  nodePorts: typeof NODE_PORTS;
  /** Where the pipeline reaches its lake and warehouse from inside kind. */
  endpoints: {
    local: boolean;
    /** Local profile: the stack's S3-compatible store, path-style. */
    s3Endpoint?: string;
    /** Local profile: the Snowflake emulator (else the account's own URL). */
    snowflakeUrl: string;
  };
}

/** One source table as the jobs see it. */
export interface JobsTable {
  source: string;
  topic: string;
  clickhouseTable: string;
  icebergTable: string;
  snowflakeTable: string;
  snowflakeStagingTable: string;
  primaryKey: string[];
  eventTimeColumn: string;
  measures: string[];
  columns: Array<{
    name: string;
    nullable: boolean;
    spark: string;
    clickhouse: string;
    snowflake: string;
    debezium: string;
  }>;
}

/** `jobs/pipeline.json`: the contract between the plan and the generated Python. */
export interface JobsConfig {
  pipeline: string;
  /** Catalog owner of the pipeline (DAG owner). */
  owner: string;
  /** Kubernetes namespace of the pipeline (SparkApplications, pods). */
  namespace: string;
  kafka: { bootstrapServers: string; deadLetterTopic: string };
  /** Names of the Kubernetes Secrets the pods read (never their values). */
  secrets: {
    postgres: string;
    clickhouse: string;
    s3: string;
    snowflake: string;
    gitSync: string;
  };
  /** The DAG repository as Airflow's git-sync pulls it (the dbt pod clones it too). */
  dags: { repoUrl: string; branch: string };
  /** The dbt DAG's pod. */
  dbt: {
    image: string;
    gitSyncImage: string;
    resources: {
      requestMemory: string;
      limitMemory: string;
      requestCpu: string;
    };
  };
  speed: {
    application: string;
    consumerGroup: string;
    checkpointLocation: string;
    triggerIntervalSeconds: number;
    maxOffsetsPerTrigger: number;
    clickhouseUrl: string;
    /** The SparkApplication's sparkConf (deploy/base/spark/speed.yaml renders the map). */
    sparkConf: Record<string, string>;
  };
  batch: {
    application: string;
    /** Airflow schedule of the batch load. */
    schedule: string;
    /** Spark image with the jobs and connector jars baked in. */
    image: string;
    sparkVersion: string;
    /** Fails the batch DAG run's deadline alert when a run takes longer. */
    deadlineMinutes: number;
    rawMergeApplication: string;
    awsRegion: string;
    /** The SparkApplication's sparkConf (deploy/base/spark/batch.yaml renders the same map). */
    sparkConf: Record<string, string>;
    driver: {
      cores: number;
      coreRequest: string;
      memory: string;
      memoryOverhead: string;
    };
    executor: {
      instances: number;
      cores: number;
      coreRequest: string;
      memory: string;
      memoryOverhead: string;
    };
    /** Spark catalog name the SparkApplication configures for Iceberg. */
    icebergCatalog: string;
    /** Which lake sink fills the Iceberg tables (`s3-raw`: the raw-landing merge job does). */
    lakeSink: 'iceberg' | 's3-raw';
    /** Raw landing zone (s3a://) the merge job reads, and its checkpoint. */
    rawLocation: string;
    rawCheckpointLocation: string;
    snowflake: {
      url: string;
      account: string;
      user: string;
      role: string;
      warehouse: string;
      database: string;
      schema: string;
      /** Control table holding the batch watermark per source table. */
      watermarkTable: string;
    };
  };
  /** Airflow DAG ids (the DAG files read them from here). */
  dagIds: ReturnType<typeof airflowDagIds>;
  reconciliation: {
    windowMinutes: number;
    allowedLatenessMinutes: number;
    openWindowTolerance: number;
    lookbackWindows: number;
    /** Where results land (Snowflake), for the plugin to read. */
    resultsTable: string;
  };
  tables: JobsTable[];
}

/** Host name under which kind pods reach the Docker Desktop host (the local stack). */
export const DOCKER_HOST_ALIAS = 'host.docker.internal';

function plannedColumns(table: SourceTable): PlannedColumn[] {
  return table.columns.map(column => ({
    name: column.name,
    nullable: column.nullable && !table.primaryKey.includes(column.name),
    isKey: table.primaryKey.includes(column.name),
    isMeasure: table.measures.includes(column.name),
    isEventTime: column.name === table.eventTimeColumn,
    ...layerTypes(column.type),
  }));
}

const mi = (value: number) => `${value}Mi`;

/** The Helm release name scripts/up.sh installs Airflow's chart under. */
const AIRFLOW_RELEASE = 'airflow';

function airflowTiming(gitSyncPeriodSeconds: number): PipelinePlan['airflow'] {
  // The DAG processor re-lists the bundle every refresh interval (default
  // 300 s in Airflow 3): shorten it so period + refresh meets the target.
  const dagRefreshIntervalSeconds = Math.min(
    60,
    Math.max(
      MIN_DAG_REFRESH_SECONDS,
      DAG_LIVE_TARGET_SECONDS - gitSyncPeriodSeconds,
    ),
  );
  return {
    release: AIRFLOW_RELEASE,
    workerServiceAccount: `${AIRFLOW_RELEASE}-worker`,
    gitSyncPeriodSeconds,
    dagRefreshIntervalSeconds,
    worstCaseDagDelaySeconds: gitSyncPeriodSeconds + dagRefreshIntervalSeconds,
    metadataDatabase: {
      name: 'airflow',
      host: 'postgres',
      port: PORTS.postgres,
    },
    parallelism: AIRFLOW_PARALLELISM,
  };
}

/**
 * The batch SparkApplication's sparkConf: the Iceberg catalog `lake` on the
 * spec's catalog, SSE-KMS everywhere, and the local stack's S3 endpoint for
 * the `local` profile. Rendered into batch.yaml and used by the batch DAG.
 */
function batchSparkConf(
  spec: LambdaPipeline,
  partitions: number,
): Record<string, string> {
  const { s3, iceberg } = spec.spec.lake;
  const conf: Record<string, string> = {
    'spark.sql.shuffle.partitions': String(partitions),
    'spark.sql.session.timeZone': 'UTC',
    'spark.sql.extensions':
      'org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
    'spark.sql.catalog.lake': 'org.apache.iceberg.spark.SparkCatalog',
    'spark.sql.catalog.lake.warehouse': lakePaths(spec).warehouse,
    'spark.sql.catalog.lake.io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
    'spark.sql.catalog.lake.s3.sse.type': 'kms',
    'spark.sql.catalog.lake.s3.sse.key': s3.kmsKeyId,
  };
  const catalog = iceberg.catalog;
  if (catalog.type === 'glue') {
    conf['spark.sql.catalog.lake.type'] = 'glue';
    if (catalog.catalogId) {
      conf['spark.sql.catalog.lake.glue.id'] = catalog.catalogId;
    }
  } else {
    conf['spark.sql.catalog.lake.type'] = catalog.type;
    conf['spark.sql.catalog.lake.uri'] = catalog.uri;
  }
  if (spec.spec.environment.profile === 'local') {
    conf[
      'spark.sql.catalog.lake.s3.endpoint'
    ] = `http://${DOCKER_HOST_ALIAS}:59000`;
    conf['spark.sql.catalog.lake.s3.path-style-access'] = 'true';
  }
  return { ...conf, ...s3aSparkConf(spec), ...sparkNetworkConf() };
}

function sparkImage(spec: LambdaPipeline): PipelinePlan['sparkImage'] {
  return {
    repository: `${spec.metadata.name}-spark`,
    base: pinnedImage('sparkImage'),
    jars: SPARK_JOB_JARS,
    python: SPARK_JOB_PYTHON,
  };
}

/** The Kafka node pool (deploy/base/kafka/kafka.yaml): controller and broker in one. */
const KAFKA_NODE_POOL = 'combined';

/** Bump when images/dbt/Dockerfile changes what it builds: a new tag. */
const DBT_IMAGE_REVISION = 1;

function pipelineVolumes(spec: LambdaPipeline): PipelinePlan['volumes'] {
  const kafkaCluster = kafkaClusterName(spec);
  return {
    storageClass: 'lambda-pipelines-host',
    nodePath: '/var/lib/lambda-pipelines',
    claims: {
      // StatefulSet claims are <template>-<statefulset>-<ordinal>.
      postgres: { dir: 'postgres', claim: 'data-postgres-0', size: '10Gi' },
      clickhouse: {
        dir: 'clickhouse',
        claim: 'data-clickhouse-0',
        size: '20Gi',
      },
      // Strimzi's JBOD claims are data-<volume id>-<cluster>-<pool>-<ordinal>.
      kafka: {
        dir: 'kafka',
        claim: `data-0-${kafkaCluster}-${KAFKA_NODE_POOL}-0`,
        size: '20Gi',
      },
      airflowLogs: {
        dir: 'airflow-logs',
        claim: 'airflow-logs',
        size: '5Gi',
      },
    },
  };
}

function dbtImage(spec: LambdaPipeline): PipelinePlan['dbtImage'] {
  const base = pinnedImage('pythonImage');
  return {
    repository: `${spec.metadata.name}-dbt`,
    base,
    python: DBT_IMAGE_PYTHON,
    tag: `${VERSIONS.dbtImage.version}-${shortHash(
      [base, ...DBT_IMAGE_PYTHON, DBT_IMAGE_REVISION].join('\n'),
    )}`,
  };
}

function pipelineImages(spec: LambdaPipeline): PipelinePlan['images'] {
  const name = spec.metadata.name;
  return {
    spark: `${LOCAL_REGISTRY.cluster}/${sparkImage(spec).repository}:${
      VERSIONS.spark.version
    }`,
    connect: `${LOCAL_REGISTRY.cluster}/${name}-connect:${VERSIONS.kafka.version}-dbz${VERSIONS.debezium.version}-${spec.spec.lake.sink}`,
  };
}

/** The speed SparkApplication's sparkConf. */
function speedSparkConf(
  spec: LambdaPipeline,
  sizing: PipelineSizing,
): Record<string, string> {
  const executor = sizing.memory.components.find(
    component => component.id === 'speed-executor',
  );
  return {
    // The Python workers' share of the executor pod (the operator adds it
    // to memory + memoryOverhead); Spark caps each worker at its part.
    ...(executor?.pysparkMiB
      ? { 'spark.executor.pyspark.memory': `${executor.pysparkMiB}m` }
      : {}),
    'spark.sql.shuffle.partitions': String(sizing.partitions),
    'spark.sql.streaming.checkpointLocation': `${
      lakePaths(spec).checkpoints
    }/speed`,
    'spark.sql.streaming.metricsEnabled': 'true',
    'spark.streaming.stopGracefullyOnShutdown': 'true',
    'spark.kafka.consumer.group.id': speedConsumerGroup(spec),
    ...s3aSparkConf(spec),
    ...sparkNetworkConf(),
    // The driver's metrics for Prometheus, on the UI port.
    'spark.metrics.conf.*.sink.prometheusServlet.class':
      'org.apache.spark.metrics.sink.PrometheusServlet',
    'spark.metrics.conf.*.sink.prometheusServlet.path': '/metrics/prometheus',
    'spark.ui.prometheus.enabled': 'true',
  };
}

/**
 * Fixed ports for the driver and the block managers, so the NetworkPolicies
 * can open exactly them (executors and drivers otherwise pick random ones).
 */
function sparkNetworkConf(): Record<string, string> {
  return {
    'spark.driver.port': String(PORTS.sparkDriverRpc),
    'spark.blockManager.port': String(PORTS.sparkBlockManager),
    'spark.driver.blockManager.port': String(PORTS.sparkBlockManager),
  };
}

/**
 * Hadoop S3A's settings for both Spark applications (checkpoints, the raw
 * landing zone). Spark 3.5's S3A (Hadoop 3.3.4) talks to S3 through the AWS
 * SDK v1, which refuses SSE-KMS request headers over plain http (a checkpoint
 * rename copies them too): against the local stack's http endpoint the
 * bucket's default encryption applies (the stack's is SSE-S3), against AWS
 * (https) S3A asks for the pipeline's KMS key on every write. The lake's data
 * files (Iceberg's S3FileIO, AWS SDK v2) use the KMS key in both.
 */
export function s3aSparkConf(spec: LambdaPipeline): Record<string, string> {
  const { s3 } = spec.spec.lake;
  const conf: Record<string, string> = {
    'spark.hadoop.fs.s3a.endpoint.region': s3.region,
  };
  if (spec.spec.environment.profile === 'local') {
    conf['spark.hadoop.fs.s3a.endpoint'] = `http://${DOCKER_HOST_ALIAS}:59000`;
    conf['spark.hadoop.fs.s3a.path.style.access'] = 'true';
  } else {
    conf['spark.hadoop.fs.s3a.encryption.algorithm'] = 'SSE-KMS';
    conf['spark.hadoop.fs.s3a.encryption.key'] = s3.kmsKeyId;
  }
  return conf;
}

export function planPipeline(spec: LambdaPipeline): PipelinePlan {
  const sizing = pipelineSizing(spec);
  const topic = (name: string, partitions: number): PlannedTopic => ({
    name,
    resourceName: kafkaTopicResourceName(name),
    partitions,
  });
  const { database, schema } = spec.spec.snowflake;
  const controlSchema = controlSchemaName(spec);
  const kafkaCluster = kafkaClusterName(spec);

  const resources: Record<string, PlannedResources> = {};
  for (const component of sizing.memory.components) {
    if (!component.renderedIn) {
      continue;
    }
    const isSpark = /-(driver|executor)$/.test(component.id);
    resources[component.id] = {
      replicas: component.replicas,
      requestMemory: mi(component.requestMiB),
      limitMemory: mi(component.limitMiB),
      requestCpu: `${component.cpuRequestMillis}m`,
      ...(isSpark
        ? {
            // Spark's own unit suffix: 'm' is MiB here.
            sparkMemory: `${
              component.limitMiB -
              (component.sparkOverheadMiB ?? SPARK_MEMORY_OVERHEAD_MIB) -
              (component.pysparkMiB ?? 0)
            }m`,
            sparkMemoryOverhead: `${
              component.sparkOverheadMiB ?? SPARK_MEMORY_OVERHEAD_MIB
            }m`,
            ...(component.pysparkMiB
              ? { pysparkMemory: `${component.pysparkMiB}m` }
              : {}),
          }
        : {}),
    };
  }

  const datasets: PlannedDataset[] = spec.spec.source.postgres.tables.map(
    table => {
      const tableName = datasetTableName(table);
      const cdcTopic = topic(cdcTopicName(spec, table), sizing.partitions);
      return {
        source: qualifiedSourceName(table),
        sourceSchema: table.schema,
        sourceTable: table.table,
        tableName,
        topic: cdcTopic,
        clickhouseTable: `${clickhouseDatabase(spec)}.${tableName}`,
        icebergTable: `${icebergNamespace(spec)}.${tableName}`,
        snowflakeTable: `${database}.${schema}.${snowflakeTableName(table)}`,
        snowflakeStagingTable: `${database}.${schema}.${snowflakeStagingTableName(
          table,
        )}`,
        columns: plannedColumns(table),
        primaryKey: table.primaryKey,
        eventTimeColumn: table.eventTimeColumn,
        measures: table.measures,
        entities: {
          source: datasetEntityName(
            spec,
            'postgres-table',
            qualifiedSourceName(table),
          ),
          topic: datasetEntityName(spec, 'kafka-topic', cdcTopic.name),
          icebergTable: datasetEntityName(spec, 'iceberg-table', tableName),
          clickhouseTable: datasetEntityName(
            spec,
            'clickhouse-table',
            tableName,
          ),
          snowflakeTable: datasetEntityName(
            spec,
            'snowflake-table',
            snowflakeTableName(table).toLowerCase(),
          ),
          snowflakeStagingTable: datasetEntityName(
            spec,
            'snowflake-table',
            snowflakeStagingTableName(table).toLowerCase(),
          ),
        },
        marts: dbtMartModels(table).map(model => ({
          model,
          table: `${database}.${martsSchemaName(spec)}.${model.toUpperCase()}`,
          entity: datasetEntityName(spec, 'dbt-model', model),
        })),
      };
    },
  );
  const snowflakeUrl =
    spec.spec.environment.profile === 'local'
      ? `http://${DOCKER_HOST_ALIAS}:58080`
      : `https://${spec.spec.snowflake.account}.snowflakecomputing.com`;

  return {
    spec,
    sizing,
    namespace: kubernetesNamespace(spec),
    datasets,
    jobs: {
      pipeline: spec.metadata.name,
      owner: spec.metadata.owner,
      namespace: kubernetesNamespace(spec),
      kafka: {
        bootstrapServers: `${kafkaCluster}-kafka-bootstrap:9092`,
        deadLetterTopic: deadLetterTopicName(spec),
      },
      secrets: {
        postgres: spec.spec.secrets.postgres,
        clickhouse: spec.spec.secrets.clickhouse,
        s3: spec.spec.secrets.s3,
        snowflake: spec.spec.secrets.snowflake,
        gitSync: spec.spec.secrets.gitSync,
      },
      dags: {
        repoUrl: spec.spec.dags.repoUrl,
        branch: spec.spec.dags.branch,
      },
      dbt: {
        image: `${LOCAL_REGISTRY.cluster}/${dbtImage(spec).repository}:${
          dbtImage(spec).tag
        }`,
        gitSyncImage: `${VERSIONS.gitSync.source}:${VERSIONS.gitSync.version}`,
        resources: {
          requestMemory: resources['dbt-build']?.requestMemory ?? '384Mi',
          limitMemory: resources['dbt-build']?.limitMemory ?? '512Mi',
          requestCpu: resources['dbt-build']?.requestCpu ?? '200m',
        },
      },
      speed: {
        application: speedApplicationName(spec),
        consumerGroup: speedConsumerGroup(spec),
        checkpointLocation: `${lakePaths(spec).checkpoints}/speed`,
        triggerIntervalSeconds: spec.spec.speed.triggerIntervalSeconds,
        maxOffsetsPerTrigger: sizing.maxOffsetsPerTrigger,
        clickhouseUrl: 'http://clickhouse:8123',
        sparkConf: speedSparkConf(spec, sizing),
      },
      batch: {
        application: batchApplicationName(spec),
        schedule: spec.spec.batch.schedule,
        deadlineMinutes: 60,
        rawMergeApplication: `${batchApplicationName(spec)}-raw-merge`,
        awsRegion: spec.spec.lake.s3.region,
        sparkConf: batchSparkConf(spec, sizing.partitions),
        image: pipelineImages(spec).spark,
        sparkVersion: VERSIONS.spark.version,
        driver: {
          cores: 1,
          coreRequest: resources['batch-driver']?.requestCpu ?? '500m',
          memory: resources['batch-driver']?.sparkMemory ?? '512m',
          memoryOverhead:
            resources['batch-driver']?.sparkMemoryOverhead ?? '384m',
        },
        executor: {
          instances: resources['batch-executor']?.replicas ?? 1,
          cores: 2,
          coreRequest: resources['batch-executor']?.requestCpu ?? '500m',
          memory: resources['batch-executor']?.sparkMemory ?? '1024m',
          memoryOverhead:
            resources['batch-executor']?.sparkMemoryOverhead ?? '384m',
        },
        icebergCatalog: 'lake',
        lakeSink: spec.spec.lake.sink,
        rawLocation: lakePaths(spec).raw.replace(/^s3:/, 's3a:'),
        rawCheckpointLocation: `${lakePaths(spec).checkpoints}/raw-merge`,
        snowflake: {
          url: snowflakeUrl,
          account: spec.spec.snowflake.account,
          user: spec.spec.snowflake.user,
          role: spec.spec.snowflake.role,
          warehouse: spec.spec.snowflake.warehouse,
          database,
          schema,
          watermarkTable: `${database}.${schema}.LAMBDA_BATCH_WATERMARKS`,
        },
      },
      dagIds: airflowDagIds(spec),
      reconciliation: {
        ...spec.spec.reconciliation,
        resultsTable: `${database}.${schema}.LAMBDA_RECONCILIATION`,
      },
      tables: datasets.map(d => ({
        source: d.source,
        topic: d.topic.name,
        clickhouseTable: d.clickhouseTable,
        icebergTable: d.icebergTable,
        snowflakeTable: d.snowflakeTable,
        snowflakeStagingTable: d.snowflakeStagingTable,
        primaryKey: d.primaryKey,
        eventTimeColumn: d.eventTimeColumn,
        measures: d.measures,
        columns: d.columns.map(c => ({
          name: c.name,
          nullable: c.nullable,
          spark: c.spark,
          clickhouse: c.clickhouse,
          snowflake: c.snowflake,
          debezium: c.debezium,
        })),
      })),
    },
    topics: {
      // Dead letters are rare; one partition keeps their order.
      deadLetter: topic(deadLetterTopicName(spec), 1),
      // The Iceberg sink's coordinator expects a single-partition control topic.
      icebergControl: topic(icebergControlTopicName(spec), 1),
      heartbeat: topic(heartbeatTopicName(spec), 1),
      signal: topic(signalTopicName(spec), 1),
    },
    names: {
      kafkaCluster,
      kafkaNodePool: KAFKA_NODE_POOL,
      kafkaBootstrap: `${kafkaCluster}-kafka-bootstrap:9092`,
      kafkaConnect: kafkaConnectName(spec),
      cdcConnector: cdcConnectorName(spec),
      lakeSinkConnector: lakeSinkConnectorName(spec),
      replicationSlot: replicationSlotName(spec),
      publication: publicationName(spec),
      controlSchema,
      sourceTables: spec.spec.source.postgres.tables.map(qualifiedSourceName),
      cdcTopics: spec.spec.source.postgres.tables.map(table =>
        cdcTopicName(spec, table),
      ),
      icebergTables: spec.spec.source.postgres.tables.map(
        table => `${icebergNamespace(spec)}.${datasetTableName(table)}`,
      ),
      sourceSchemas: [
        ...new Set(spec.spec.source.postgres.tables.map(table => table.schema)),
      ],
      heartbeatTable: `${controlSchema}.debezium_heartbeat`,
      signalTable: signalTableName(spec),
      speedConsumerGroup: speedConsumerGroup(spec),
      speedApplication: speedApplicationName(spec),
      batchApplication: batchApplicationName(spec),
      clickhouseDatabase: clickhouseDatabase(spec),
      icebergNamespace: icebergNamespace(spec),
      systemEntity: toEntityName(
        spec.metadata.system.replace(/^.*[:/]/, '') || spec.metadata.name,
      ),
      componentEntity: toEntityName(`${spec.metadata.name}-pipeline`),
      deadLetterEntity: datasetEntityName(
        spec,
        'kafka-topic',
        deadLetterTopicName(spec),
      ),
    },
    lake: lakePaths(spec),
    resources,
    memoryTable: sizing.memory.components.map(component => ({
      title: component.title,
      layer: component.layer,
      phase: describePhase(component),
      replicas: component.replicas,
      request: formatMiB(component.requestMiB),
      limit: formatMiB(component.limitMiB),
      total: formatMiB(component.limitMiB * component.replicas),
      renderedIn: component.renderedIn ?? 'kind itself / beside kind',
    })),
    versions: { ...VERSIONS },
    layerColumns: {
      speed: SPEED_LAYER_COLUMNS,
      batch: BATCH_LAYER_COLUMNS,
      speedIngestedAtIndex: SPEED_INGESTED_AT_INDEX,
    },
    airflow: airflowTiming(spec.spec.dags.syncPeriodSeconds),
    networkPolicies: networkPolicies(spec),
    registry: LOCAL_REGISTRY,
    images: pipelineImages(spec),
    sparkImage: sparkImage(spec),
    dbtImage: dbtImage(spec),
    sparkSubmitHeapMiB: SPARK_SUBMIT_HEAP_MIB,
    volumes: pipelineVolumes(spec),
    ports: PORTS,
    nodePorts: NODE_PORTS,
    endpoints:
      spec.spec.environment.profile === 'local'
        ? {
            local: true,
            s3Endpoint: `http://${DOCKER_HOST_ALIAS}:59000`,
            snowflakeUrl,
          }
        : { local: false, snowflakeUrl },
  };
}
