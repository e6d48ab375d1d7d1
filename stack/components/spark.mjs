// The runtime of the generated Spark jobs: pyspark 4.0.0 (PyPI) with the
// connector jars the template pins (stack/spark/pom.xml, Maven Central) and
// snowflake-connector-python for the local profile's Snowflake loads. Nothing
// runs: tests and the local pipeline start jobs with spark-submit --master local[N].
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, installLockedVenv, run, venvBin } from '../lib/context.mjs';
import { mavenCopyDependencies } from './kafka.mjs';

const PYSPARK_VERSION = '4.0.0';
const LOCK = path.join(REPO_ROOT, 'stack/spark/requirements.lock');
const POM = path.join(REPO_ROOT, 'stack/spark/pom.xml');
const jarsDir = ctx => path.join(ctx.installDir, 'jars');

export default {
  name: 'spark',
  // Bump the suffix when the lock or the pom changes, so installs refresh.
  version: `${PYSPARK_VERSION}-2`,
  description: `pyspark ${PYSPARK_VERSION} + Kafka, Iceberg, S3A, PostgreSQL and Snowflake JDBC jars (runtime of the generated jobs)`,
  dependsOn: [],
  runtime: true,

  async install(ctx) {
    installLockedVenv(ctx, [
      [
        LOCK,
        'pyspark from PyPI (pinned in stack/spark/requirements.lock, ~450 MB)',
      ],
    ]);
    ctx.log(
      'copying the connector jars from Maven Central (stack/spark/pom.xml)',
    );
    const jars = mavenCopyDependencies(POM, jarsDir(ctx));
    ctx.log(`${jars.length} jars in ${jarsDir(ctx)}`);
  },

  async check(ctx) {
    run(venvBin(ctx, 'python'), ['-c', 'import pyspark, snowflake.connector']);
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
