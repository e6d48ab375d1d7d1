/**
 * The version matrix of a generated pipeline: every image, chart and
 * connector the skeletons pin, chosen as one mutually compatible set. The
 * reasons (and the upstream issues behind them) are in
 * docs/research/version-matrix.md; the generated README prints this table.
 *
 * Change a version here and every rendered file follows; nothing in the
 * skeletons hard-codes one.
 */

export interface PinnedVersion {
  /** What it is, for people. */
  title: string;
  version: string;
  /** Image, chart or Maven coordinates without the version. */
  source: string;
  /** Why this version (one line). */
  why: string;
}

const v = (
  title: string,
  version: string,
  source: string,
  why: string,
): PinnedVersion => ({ title, version, source, why });

export const VERSIONS = {
  kind: v(
    'kind',
    '0.32.0',
    'sigs.k8s.io/kind',
    'config schema checked offline; node image below is its default',
  ),
  kindNode: v(
    'Kubernetes (kind node image)',
    'v1.36.1',
    'kindest/node',
    'the default node image of kind 0.32.0',
  ),
  registry: v(
    'Local image registry',
    '3.0.0',
    'registry',
    'Docker Distribution 3; kind pulls from it because `kind load` fails with the containerd image store (kind#3795)',
  ),
  strimzi: v(
    'Strimzi operator (chart)',
    '1.2.0',
    'oci://quay.io/strimzi-helm/strimzi-kafka-operator',
    'serves kafka.strimzi.io/v1 only; supports Kafka 4.2.0-4.3.1',
  ),
  kafka: v(
    'Apache Kafka (KRaft)',
    '4.3.1',
    'quay.io/strimzi/kafka',
    'newest Kafka of Strimzi 1.2.0; Debezium 3.7.0 is built against it',
  ),
  debezium: v(
    'Debezium PostgreSQL connector',
    '3.7.0.Final',
    'io.debezium:debezium-connector-postgres',
    'built against Kafka 4.3.1; pgoutput, filtered publications, signal table',
  ),
  icebergSink: v(
    'Apache Iceberg Kafka Connect sink',
    '1.10.1',
    'org.apache.iceberg:iceberg-kafka-connect',
    '1.11.x stalls commits on idle topics (apache/iceberg#17193)',
  ),
  debeziumPluginSha512: v(
    'Debezium plugin archive SHA-512',
    'dc5334e087c7405f5b423e77373c60a89a3d7538ad38016f3959c431ad7078361ab95300a7e926c50621e7aa8375b7f4f3c5ecec4fe04ac484804d325009b6c0',
    'https://repo1.maven.org/maven2/io/debezium/debezium-connector-postgres/3.7.0.Final/debezium-connector-postgres-3.7.0.Final-plugin.tar.gz',
    'checked by the Strimzi build before the archive is unpacked',
  ),
  camelS3Sink: v(
    'S3 raw landing sink (Camel Kafka Connector)',
    '4.4.3',
    'org.apache.camel.kafkaconnector:camel-aws-s3-streaming-upload-sink-kafka-connector',
    "Apache-licensed and on Maven Central (Confluent's S3 sink is not); batches records into multipart uploads",
  ),
  hadoop: v(
    'Hadoop client (Iceberg sink, S3A)',
    '3.4.1',
    'org.apache.hadoop:hadoop-common',
    "the Hadoop line of Spark 4.0; the Iceberg sink needs Hadoop's Configuration class (apache/iceberg#14147)",
  ),
  postgresJdbc: v(
    'PostgreSQL JDBC driver',
    '42.7.13',
    'org.postgresql:postgresql',
    'the driver Debezium 3.7.0 ships; also used by the JDBC Iceberg catalog',
  ),
  postgres: v(
    'PostgreSQL',
    '17.6',
    'postgres',
    "the major version Debezium 3.7.0's own integration tests run",
  ),
  clickhouse: v(
    'ClickHouse server',
    '26.3',
    'clickhouse/clickhouse-server',
    'current LTS line (the local stack runs the same SQL on 26.7)',
  ),
  sparkOperator: v(
    'Spark operator (chart)',
    '2.5.2',
    'https://kubeflow.github.io/spark-operator',
    'built on Spark 4.0.4; sparkoperator.k8s.io/v1beta2',
  ),
  spark: v(
    'Apache Spark',
    '4.0.0',
    'spark',
    'Iceberg 1.10.x ships a runtime for Spark 4.0 only; the Kafka source resolves for 4.0.0',
  ),
  icebergSpark: v(
    'Iceberg Spark runtime',
    '1.10.1',
    'org.apache.iceberg:iceberg-spark-runtime-4.0_2.13',
    'same Iceberg as the sink',
  ),
  clickhouseJdbc: v(
    'ClickHouse JDBC',
    '0.9.9',
    'com.clickhouse:clickhouse-jdbc (classifier all)',
    'last line published with the self-contained `all` jar',
  ),
  sparkSnowflake: v(
    'Snowflake Spark connector',
    '3.2.2-spark_4.0',
    'net.snowflake:spark-snowflake_2.13',
    'first connector line for Spark 4 (snowflakedb/spark-snowflake#607)',
  ),
  snowflakeJdbc: v(
    'Snowflake JDBC',
    '3.28.0',
    'net.snowflake:snowflake-jdbc',
    'the 3.x driver the connector is built against; 4.x moved packages',
  ),
  airflowChart: v(
    'Airflow (chart)',
    '1.22.0',
    'https://airflow.apache.org (apache-airflow/airflow)',
    'default image Airflow 3.2.2',
  ),
  airflow: v(
    'Apache Airflow',
    '3.2.2',
    'apache/airflow',
    'Airflow 3: Deadline Alerts, DAG bundles, standalone DAG processor',
  ),
  dbtImage: v(
    'dbt (Snowflake adapter image)',
    '1.11.6',
    'ghcr.io/dbt-labs/dbt-snowflake',
    'dbt-core 1.11 with dbt-snowflake 1.11.6, the versions the DAG repo is tested with; the image tag is not checked here (no access to ghcr.io)',
  ),
  gitSync: v(
    'git-sync',
    'v4.4.2',
    'registry.k8s.io/git-sync/git-sync',
    "the chart's default; v4 secret keys GITSYNC_USERNAME/GITSYNC_PASSWORD (apache/airflow#43247)",
  ),
  sealedSecrets: v(
    'Sealed Secrets (chart)',
    '2.18.5',
    'https://bitnami-labs.github.io/sealed-secrets',
    'controller 0.36.6; bitnami.com/v1alpha1 SealedSecret',
  ),
  kubePrometheusStack: v(
    'kube-prometheus-stack (chart)',
    '88.2.0',
    'https://prometheus-community.github.io/helm-charts',
    'ships Prometheus operator v0.93.0, whose PodMonitor and PrometheusRule schemas the manifests are checked against',
  ),
} as const;

export type VersionKey = keyof typeof VERSIONS;

/** `image:tag` of a pinned image. */
export function pinnedImage(key: VersionKey): string {
  const { source, version } = VERSIONS[key];
  return `${source}:${version}`;
}
