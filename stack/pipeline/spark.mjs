// How a generated Spark job runs on the local stack, in one place for the
// pipeline supervisor and the template's job tests: spark-submit with
// `--master local[2]`, the stack's connector jars, S3A pointed at the stack's
// S3 (SSE-KMS by the bucket's default), `jobs/` on the Python path of the driver and the workers,
// and the credentials the rendered SparkApplications take from Secrets
// passed as environment variables.
import path from 'node:path';

/**
 * The Spark configuration of a job on the stack: no UI, two shuffle
 * partitions, UTC, S3A pointed at the stack's S3; `conf` over these.
 */
export function stackSparkConf(env, conf = {}) {
  return {
    'spark.ui.enabled': 'false',
    'spark.sql.shuffle.partitions': '2',
    'spark.driver.memory': '1g',
    'spark.sql.session.timeZone': 'UTC',
    'spark.hadoop.fs.s3a.endpoint': env.LP_S3_ENDPOINT,
    'spark.hadoop.fs.s3a.endpoint.region': env.LP_S3_REGION,
    'spark.hadoop.fs.s3a.path.style.access': 'true',
    // No SSE-KMS request headers: Spark 3.5's S3A (AWS SDK v1) refuses them
    // over http; the stack's bucket encrypts every object with its KMS key
    // by default (stack/s3/provision.py), as the local profile expects.
    ...conf,
  };
}

/**
 * The credentials the rendered SparkApplications take from Secrets, as the
 * environment variables the jobs read, with the stack's values.
 */
export function stackJobCredentials(env) {
  return {
    AWS_ACCESS_KEY_ID: env.LP_S3_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.LP_S3_SECRET_ACCESS_KEY,
    AWS_REGION: env.LP_S3_REGION,
    CLICKHOUSE_USER: env.LP_CLICKHOUSE_USER,
    CLICKHOUSE_PASSWORD: env.LP_CLICKHOUSE_PASSWORD ?? '',
    SNOWFLAKE_PASSWORD: env.LP_SNOWFLAKE_PASSWORD,
  };
}

/**
 * The command, arguments and environment (to add to the process's) that
 * submit `jobsDir/job` with its `pipeline.json`, `args` after them and
 * `conf` over the defaults. `localDir` is Spark's scratch space (the copied
 * jars, shuffle files): the caller removes it when the job exits, since a
 * job killed with SIGKILL never runs the shutdown hook that would.
 */
export function sparkSubmitCommand(
  env,
  { jobsDir, job, args = [], conf = {}, localDir },
) {
  return {
    command: env.LP_SPARK_SUBMIT,
    args: [
      '--master',
      'local[2]',
      '--jars',
      env.LP_SPARK_JARS,
      ...Object.entries(stackSparkConf(env, conf)).flatMap(([k, v]) => [
        '--conf',
        `${k}=${v}`,
      ]),
      path.join(jobsDir, job),
      '--config',
      path.join(jobsDir, 'pipeline.json'),
      ...args,
    ],
    env: {
      PYTHONPATH: jobsDir,
      PYSPARK_PYTHON: env.LP_SPARK_PYTHON,
      PYSPARK_DRIVER_PYTHON: env.LP_SPARK_PYTHON,
      ...stackJobCredentials(env),
      SPARK_LOCAL_DIRS: localDir,
    },
  };
}

/**
 * Spark configuration of the batch job's Iceberg catalog (`lake`) on the
 * stack: the JDBC catalog in PostgreSQL, data in the stack's S3 under
 * `warehouse`.
 */
export function icebergCatalogConf(env, warehouse) {
  return {
    'spark.sql.catalog.lake': 'org.apache.iceberg.spark.SparkCatalog',
    'spark.sql.catalog.lake.catalog-impl':
      'org.apache.iceberg.jdbc.JdbcCatalog',
    'spark.sql.catalog.lake.uri': env.LP_ICEBERG_JDBC_URL,
    'spark.sql.catalog.lake.warehouse': warehouse,
    'spark.sql.catalog.lake.io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
    'spark.sql.catalog.lake.s3.endpoint': env.LP_S3_ENDPOINT,
    'spark.sql.catalog.lake.s3.path-style-access': 'true',
    'spark.sql.catalog.lake.client.region': env.LP_S3_REGION,
    'spark.sql.extensions':
      'org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
  };
}
