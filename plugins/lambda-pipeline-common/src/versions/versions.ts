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

/** Spark, in the jobs' runtime and in the name of the image they run on. */
const SPARK = '3.5.7';

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
    'Hadoop client (Iceberg sink)',
    '3.4.1',
    'org.apache.hadoop:hadoop-common',
    "the Iceberg sink needs Hadoop's Configuration class (apache/iceberg#14147); Connect has no Hadoop of its own, so the newest 3.4 line",
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
    '2.2.1',
    'https://kubeflow.github.io/spark-operator',
    'the last operator built on Spark 3.5 (3.5.5; 2.3 and later are Spark 4 only, kubeflow/spark-operator#2617); sparkoperator.k8s.io/v1beta2',
  ),
  spark: v(
    'Apache Spark (Scala 2.12)',
    SPARK,
    'spark',
    "the official Snowflake connector's line (spark-snowflake 3.0.0 runs on Spark 3.4/3.5); 3.5.7 is the newest 3.5 whose Kafka source is on Maven Central",
  ),
  sparkImage: v(
    "Spark image (base of the pipeline's Spark image)",
    `${SPARK}-scala2.12-java17-python3-ubuntu`,
    'docker.io/library/spark',
    "the official Spark image (apache/spark-docker) with Java 17 and Python 3: Spark's own jars, /opt/entrypoint.sh (the driver and executor modes the operator uses), user spark (185)",
  ),
  sparkKafka: v(
    'Spark Kafka source',
    SPARK,
    'org.apache.spark:spark-sql-kafka-0-10_2.12',
    "Structured Streaming's Kafka source and sink, same release as Spark",
  ),
  icebergSpark: v(
    'Iceberg Spark runtime',
    '1.10.1',
    'org.apache.iceberg:iceberg-spark-runtime-3.5_2.12',
    'same Iceberg as the sink',
  ),
  icebergAwsBundle: v(
    'Iceberg AWS bundle',
    '1.10.1',
    'org.apache.iceberg:iceberg-aws-bundle',
    "AWS SDK v2 for Iceberg's S3FileIO, KMS and Glue catalog; same Iceberg as the sink",
  ),
  hadoopAws: v(
    'Hadoop S3A',
    '3.3.4',
    'org.apache.hadoop:hadoop-aws',
    "s3a:// for the streaming checkpoints; must match Spark 3.5's own Hadoop client (3.3.4); brings the AWS SDK v1 bundle it is built with",
  ),
  clickhouseJdbc: v(
    'ClickHouse JDBC',
    '0.9.9',
    'com.clickhouse:clickhouse-jdbc (classifier all)',
    'last line published with the self-contained `all` jar',
  ),
  sparkSnowflake: v(
    'Snowflake Spark connector',
    '3.0.0',
    'net.snowflake:spark-snowflake_2.12',
    'the official connector for Spark 3.4/3.5 on Maven Central (the Spark 4 line, 3.1.x _2.13, is not on the mirrors we reach)',
  ),
  snowflakeJdbc: v(
    'Snowflake JDBC',
    '3.28.0',
    'net.snowflake:snowflake-jdbc',
    'newest 3.x; same wire protocol as the 3.17.0 the connector declares, and it reports failed stage uploads that 3.17 could hide; 4.x moved packages',
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
    "dbt (Snowflake adapter), in the pipeline's dbt image",
    '1.11.6',
    'dbt-snowflake (PyPI)',
    "dbt-core 1.11.16 with dbt-snowflake 1.11.6 and their dependencies (DBT_IMAGE_PYTHON), installed into the official Python image: ghcr.io/dbt-labs/dbt-snowflake's tags have stalled and cannot be checked from here",
  ),
  pythonImage: v(
    "Python image (base of the pipeline's dbt image)",
    '3.11.14-slim-bookworm',
    'docker.io/library/python',
    'the official Python image, Debian bookworm slim; Python 3.11, which every package of DBT_IMAGE_PYTHON has wheels for',
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

/**
 * kind's local registry as the generated scripts/up.sh runs it (kind's
 * documented recipe): the container, the name images have on the host
 * (`host`, where they are pushed), the name the cluster's containerd pulls
 * (`cluster`) and the host port. The stack's node maps both names to the
 * stack's registry, so the generated manifests pull unchanged.
 */
export const LOCAL_REGISTRY = {
  container: 'kind-registry',
  host: 'localhost:5001',
  cluster: 'kind-registry:5000',
  hostPort: 5001,
} as const;

/** A Maven artifact of the Spark jobs' runtime, with what to leave out of its tree. */
export interface SparkJobArtifact {
  key: VersionKey;
  /** group:artifact patterns (`*` allowed) excluded from the artifact's dependencies. */
  exclusions: string[];
  why: string;
}

/**
 * The jars the generated Spark jobs need on top of Spark's own (Hadoop client,
 * Scala, SLF4J and Jackson come with Spark and are excluded). The pipeline's
 * Spark image bakes exactly these in (`deps.packages` fails under the
 * operator: kubeflow/spark-operator#2208), and the local stack's Spark
 * runtime installs the same list; both render `sparkJobsPom()`.
 */
export const SPARK_JOB_ARTIFACTS: SparkJobArtifact[] = [
  {
    key: 'sparkKafka',
    // Spark itself ships these (snappy in a newer version).
    exclusions: [
      'org.apache.hadoop:*',
      'org.scala-lang:*',
      'org.slf4j:*',
      'org.apache.spark:spark-tags_2.12',
      'org.xerial.snappy:*',
      'org.lz4:*',
      'com.google.code.findbugs:*',
    ],
    why: "Structured Streaming's Kafka source and sink (speed job, dead letters)",
  },
  {
    key: 'icebergSpark',
    exclusions: [],
    why: 'Iceberg tables (batch job) through a JDBC, Glue or REST catalog',
  },
  {
    key: 'icebergAwsBundle',
    exclusions: [],
    why: "AWS SDK v2 for Iceberg's S3FileIO and the Glue catalog",
  },
  {
    key: 'hadoopAws',
    // Spark ships hadoop-client-api/-runtime 3.3.4; wildfly-openssl is optional.
    exclusions: [
      'org.apache.hadoop:hadoop-common',
      'org.apache.hadoop:hadoop-client*',
      'org.wildfly.openssl:*',
    ],
    why: 's3a:// for the streaming checkpoints (with the AWS SDK v1 bundle it needs)',
  },
  {
    key: 'postgresJdbc',
    exclusions: [],
    why: 'the Iceberg JDBC catalog on PostgreSQL',
  },
  {
    key: 'sparkSnowflake',
    // It declares snowflake-jdbc 3.17.0; the newer driver below replaces it.
    exclusions: ['org.scala-lang:*', 'net.snowflake:snowflake-jdbc'],
    why: 'the official Snowflake connector: staging loads through internal stages and COPY INTO, Utils.runQuery',
  },
  {
    key: 'snowflakeJdbc',
    exclusions: [],
    why: 'the driver under the connector (the fat jar: it carries its own shaded AWS SDK for stage transfers)',
  },
];

/**
 * The Python packages the jobs import beyond pyspark (which the Spark image
 * has), pinned with their dependencies: cryptography turns an encrypted
 * Snowflake key into the PKCS#8 the connector takes. The Spark image installs
 * exactly these; the local stack's lock (stack/spark/requirements.lock)
 * carries the same pins.
 */
export const SPARK_JOB_PYTHON: readonly string[] = [
  'cffi==2.1.1',
  'cryptography==50.0.2',
  'pycparser==3.12',
];

/**
 * The Python packages of the pipeline's dbt image (images/dbt/Dockerfile):
 * dbt-core and dbt-snowflake with every dependency, pinned, so the image
 * installs them with `--no-deps` and never resolves anything at build time.
 * The local stack's dbt lock (stack/dbt/requirements.lock) carries the same
 * pins (its dbt component checks), so what the tests run is what the image
 * runs.
 */
export const DBT_IMAGE_PYTHON: readonly string[] = [
  'agate==1.9.1',
  'annotated-types==0.8.0',
  'asn1crypto==1.5.1',
  'attrs==26.1.0',
  'babel==2.18.0',
  'backports.tarfile==1.2.0',
  'boto3==1.44.8',
  'botocore==1.44.8',
  'certifi==2025.1.31',
  'cffi==2.1.1',
  'charset-normalizer==3.5.3',
  'click==8.5.1',
  'colorama==0.4.6',
  'cryptography==50.0.2',
  'daff==1.4.2',
  'dbt-adapters==1.24.5',
  'dbt-common==1.39.0',
  'dbt-core==1.11.16',
  'dbt-extractor==0.6.0',
  'dbt-protos==1.0.615',
  'dbt-semantic-interfaces==0.9.0',
  'dbt-snowflake==1.11.6',
  'deepdiff==8.6.2',
  'filelock==3.32.7',
  'idna==3.20',
  'importlib_metadata==8.9.0',
  'isodate==0.7.2',
  'jaraco.classes==3.4.0',
  'jaraco.context==6.1.2',
  'jaraco.functools==4.6.0',
  'jeepney==0.9.0',
  'Jinja2==3.1.6',
  'jmespath==1.1.0',
  'jsonschema==4.26.0',
  'jsonschema-specifications==2025.9.1',
  'keyring==25.7.0',
  'leather==0.4.1',
  'MarkupSafe==3.0.4',
  'mashumaro==3.14',
  'more-itertools==10.8.0',
  'msgpack==1.2.4',
  'networkx==3.6.1',
  'opentelemetry-api==1.45.2',
  'orderly-set==5.5.0',
  'packaging==26.4',
  'parsedatetime==2.6',
  'pathspec==0.12.1',
  'platformdirs==4.14.8',
  'protobuf==6.33.6',
  'pycparser==3.12',
  'pydantic==2.14.4',
  'pydantic_core==2.50.5',
  'PyJWT==2.15.1',
  'pyOpenSSL==26.4.0',
  'python-dateutil==2.9.0.post0',
  'python-slugify==9.2.0',
  'pytimeparse==1.1.10',
  'pytz==2026.6',
  'PyYAML==6.0.4',
  'referencing==0.37.0',
  'requests==2.34.2',
  'rpds-py==2026.9.1',
  's3transfer==0.19.3',
  'SecretStorage==3.5.0',
  'six==1.17.0',
  'snowflake-connector-python==4.8.0',
  'snowplow-tracker==1.1.0',
  'sortedcontainers==2.4.0',
  'sqlparse==0.6.1',
  'text-unidecode==1.3',
  'tomlkit==0.15.2',
  'typing-inspection==0.4.5',
  'typing_extensions==4.16.0',
  'urllib3==2.8.0',
  'zipp==4.1.2',
];

/** A jar of the jobs' runtime: its path in a Maven repository and its SHA-256. */
export interface LockedJar {
  path: string;
  sha256: string;
}

// BEGIN SPARK_JOB_JARS: generated by `stack/lp-stack spark-lock` from
// sparkJobsPom() (Maven's resolution of SPARK_JOB_ARTIFACTS); regenerate it
// when they change (the stack's Spark install fails until the two agree).
/** Every jar SPARK_JOB_ARTIFACTS brings, dependencies included, checksummed. */
export const SPARK_JOB_JARS: readonly LockedJar[] = [
  {
    path: 'com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar',
    sha256: '873fe7cf495126619997bec21c44de5d992544aea7e632fdc77adb1a0915bae5',
  },
  {
    path: 'net/snowflake/snowflake-jdbc/3.28.0/snowflake-jdbc-3.28.0.jar',
    sha256: '41e3e99fde1aa90516448306885b345df7600db650258e7dfd0ea79c02f6cb49',
  },
  {
    path: 'net/snowflake/spark-snowflake_2.12/3.0.0/spark-snowflake_2.12-3.0.0.jar',
    sha256: '8597c607599cfd5876f6ff4ac09cc7cf23bfdcb66f4a3311f96e6a6f9554bbcc',
  },
  {
    path: 'org/apache/commons/commons-pool2/2.11.1/commons-pool2-2.11.1.jar',
    sha256: 'ea0505ee7515e58b1ac0e686e4d1a5d9f7d808e251a61bc371aa0595b9963f83',
  },
  {
    path: 'org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar',
    sha256: '53f9ae03c681a30a50aa17524bd9790ab596b28481858e54efd989a826ed3a4a',
  },
  {
    path: 'org/apache/iceberg/iceberg-aws-bundle/1.10.1/iceberg-aws-bundle-1.10.1.jar',
    sha256: '86bf20892ea5b4c17688f19b075399885f6aa5303f6b2dc9f491e76ceef9633b',
  },
  {
    path: 'org/apache/iceberg/iceberg-spark-runtime-3.5_2.12/1.10.1/iceberg-spark-runtime-3.5_2.12-1.10.1.jar',
    sha256: '39ea09e6c03550a300b9d9ab498949836d2d434e441da4c12a943a086e396940',
  },
  {
    path: 'org/apache/kafka/kafka-clients/3.4.1/kafka-clients-3.4.1.jar',
    sha256: '9d0a9058c8ede79db6e54ae378ed16fe8d1bead2894635a4aa6aa0b7981668c6',
  },
  {
    path: 'org/apache/spark/spark-sql-kafka-0-10_2.12/3.5.7/spark-sql-kafka-0-10_2.12-3.5.7.jar',
    sha256: '184f8bd4a3cd22299c49090d88b894f81fd7546b4ee64879519a0d76a685dbb8',
  },
  {
    path: 'org/apache/spark/spark-token-provider-kafka-0-10_2.12/3.5.7/spark-token-provider-kafka-0-10_2.12-3.5.7.jar',
    sha256: '9701914db5c6d09628b58d2d2c1ccd2c9ea28f32f83dd6cb21f98b8237531ff4',
  },
  {
    path: 'org/checkerframework/checker-qual/3.55.1/checker-qual-3.55.1.jar',
    sha256: '857658c8bdcbff794949a8d9922f88d63ee3751c203c7cd7d21ea97f9e745288',
  },
  {
    path: 'org/postgresql/postgresql/42.7.13/postgresql-42.7.13.jar',
    sha256: '6e0e4cc2d8cae902084f8a2b18728b073a6fd9d1f87c9d8bff8f298c18185b93',
  },
];
// END SPARK_JOB_JARS

const mavenCoordinates = (key: VersionKey) => {
  const [groupId, artifactId] = VERSIONS[key].source.split(':');
  return { groupId, artifactId, version: VERSIONS[key].version };
};

/**
 * A Maven POM whose dependencies are `SPARK_JOB_ARTIFACTS`:
 * `mvn dependency:copy-dependencies` on it fills a Spark jars directory.
 */
export function sparkJobsPom(artifactId: string): string {
  const exclusion = (pattern: string) => {
    const [groupId, artifact] = pattern.split(':');
    return `        <exclusion><groupId>${groupId}</groupId><artifactId>${artifact}</artifactId></exclusion>`;
  };
  const dependencies = SPARK_JOB_ARTIFACTS.map(a => {
    const c = mavenCoordinates(a.key);
    const exclusions = a.exclusions.length
      ? [
          '      <exclusions>',
          ...a.exclusions.map(exclusion),
          '      </exclusions>',
        ]
      : [];
    return [
      `    <!-- ${a.why}. -->`,
      '    <dependency>',
      `      <groupId>${c.groupId}</groupId>`,
      `      <artifactId>${c.artifactId}</artifactId>`,
      `      <version>${c.version}</version>`,
      ...exclusions,
      '    </dependency>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<!-- The connector jars of the Spark ${VERSIONS.spark.version} jobs, on top of Spark's own jars.`,
    '     `mvn dependency:copy-dependencies` copies them with their dependencies. -->',
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>io.lambda-pipelines</groupId>',
    `  <artifactId>${artifactId}</artifactId>`,
    '  <version>1</version>',
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    ...dependencies,
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/** `image:tag` of a pinned image. */
export function pinnedImage(key: VersionKey): string {
  const { source, version } = VERSIONS[key];
  return `${source}:${version}`;
}
