// The runtime of the generated Spark jobs: pyspark (PyPI) at the pipeline's
// Spark version with the connector jars its image bakes in (-common's
// SPARK_JOB_ARTIFACTS, from Maven Central). Nothing runs: tests and the local
// pipeline start jobs with spark-submit --master local[N].
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, installLockedVenv, run, venvBin } from '../lib/context.mjs';
import { VERSIONS, sparkJobsPom } from '../lib/versions.mjs';
import { mavenCopyDependencies } from './kafka.mjs';

const SPARK_VERSION = VERSIONS.spark.version;
const LOCK = path.join(REPO_ROOT, 'stack/spark/requirements.lock');
const jarsDir = ctx => path.join(ctx.installDir, 'jars');

/** The lock must pin the pipeline's Spark; a stale lock fails here, not in a job. */
function checkLockPinsSpark() {
  const pinned = /^pyspark==(\S+)$/m.exec(fs.readFileSync(LOCK, 'utf8'))?.[1];
  if (pinned !== SPARK_VERSION)
    throw new Error(
      `stack/spark/requirements.lock pins pyspark ${pinned}, but the pipeline runs Spark ${SPARK_VERSION} (-common's VERSIONS.spark): regenerate the lock`,
    );
}

export default {
  name: 'spark',
  // The versions of every jar are part of the pom; bump the suffix when the
  // lock changes, so installs refresh.
  version: `${SPARK_VERSION}-${VERSIONS.sparkSnowflake.version}-${VERSIONS.snowflakeJdbc.version}-1`,
  description: `pyspark ${SPARK_VERSION} + Kafka, Iceberg, S3A, PostgreSQL, the Snowflake Spark connector and JDBC driver (runtime of the generated jobs)`,
  dependsOn: [],
  runtime: true,

  async install(ctx) {
    checkLockPinsSpark();
    installLockedVenv(ctx, [
      [
        LOCK,
        'pyspark from PyPI (pinned in stack/spark/requirements.lock, ~320 MB)',
      ],
    ]);
    const pom = path.join(ctx.installDir, 'pom.xml');
    fs.writeFileSync(pom, sparkJobsPom('spark-jobs-runtime'));
    ctx.log(
      "copying the connector jars from Maven Central (-common's SPARK_JOB_ARTIFACTS)",
    );
    const jars = mavenCopyDependencies(pom, jarsDir(ctx));
    ctx.log(`${jars.length} jars in ${jarsDir(ctx)}`);
  },

  async check(ctx) {
    run(venvBin(ctx, 'python'), ['-c', 'import pyspark']);
  },

  env(ctx) {
    const dir = jarsDir(ctx);
    const jars = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter(file => file.endsWith('.jar'))
          .sort()
          .map(file => path.join(dir, file))
      : [];
    return {
      LP_SPARK_PYTHON: venvBin(ctx, 'python'),
      LP_SPARK_SUBMIT: venvBin(ctx, 'spark-submit'),
      LP_SPARK_JARS: jars.join(','),
    };
  },
};
