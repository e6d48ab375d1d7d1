// The runtime of the generated Spark jobs: pyspark (PyPI) at the pipeline's
// Spark version with the connector jars its image bakes in (-common's
// SPARK_JOB_ARTIFACTS, from Maven Central). Nothing runs: tests and the local
// pipeline start jobs with spark-submit --master local[N].
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  REPO_ROOT,
  installLockedVenv,
  requireLockPins,
  run,
  venvBin,
} from '../lib/context.mjs';
import {
  SPARK_JOB_JARS,
  SPARK_JOB_PYTHON,
  VERSIONS,
  sparkJobsPom,
} from '../lib/versions.mjs';
import { mavenCopyDependencies } from './kafka.mjs';

const SPARK_VERSION = VERSIONS.spark.version;
const LOCK = path.join(REPO_ROOT, 'stack/spark/requirements.lock');
const jarsDir = ctx => path.join(ctx.installDir, 'jars');

/**
 * The lock must pin the pipeline's Spark and the jobs' Python packages at the
 * versions the Spark image installs; a stale lock fails here, not in a job.
 */
function checkLockPinsSpark() {
  const lock = fs.readFileSync(LOCK, 'utf8');
  const pinned = /^pyspark==(\S+)$/m.exec(lock)?.[1];
  if (pinned !== SPARK_VERSION)
    throw new Error(
      `stack/spark/requirements.lock pins pyspark ${pinned}, but the pipeline runs Spark ${SPARK_VERSION} (-common's VERSIONS.spark): regenerate the lock`,
    );
  requireLockPins(
    LOCK,
    SPARK_JOB_PYTHON,
    "the Spark image (-common's SPARK_JOB_PYTHON)",
  );
}

const sha256 = file =>
  crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * Maven's resolution of sparkJobsPom() into `dir` (repository layout), as
 * the jar lock records it: `{ path, sha256 }` sorted by path.
 */
export function resolveSparkJobJars(dir) {
  const pom = path.join(dir, 'pom.xml');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(pom, sparkJobsPom('spark-jobs-runtime'));
  const repository = path.join(dir, 'repository');
  return mavenCopyDependencies(pom, repository, { repositoryLayout: true })
    .map(jar => ({ path: jar, sha256: sha256(path.join(repository, jar)) }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** What differs between two jar lists, for a message ('' when equal). */
export function jarLockDifference(locked, resolved) {
  const key = jar => `${jar.path} ${jar.sha256}`;
  const lockedKeys = new Set(locked.map(key));
  const resolvedKeys = new Set(resolved.map(key));
  const extra = resolved.filter(jar => !lockedKeys.has(key(jar)));
  const gone = locked.filter(jar => !resolvedKeys.has(key(jar)));
  return [
    ...extra.map(jar => `not in the lock: ${key(jar)}`),
    ...gone.map(jar => `locked, not resolved: ${key(jar)}`),
  ].join('\n');
}

export default {
  name: 'spark',
  // The versions of every jar are part of the pom; bump the suffix when the
  // lock changes, so installs refresh.
  // The pom and the jar lock name every jar: a change to either reinstalls.
  version: `${SPARK_VERSION}-${crypto
    .createHash('sha256')
    .update(sparkJobsPom('spark-jobs-runtime'))
    .update(JSON.stringify(SPARK_JOB_JARS))
    .update(fs.readFileSync(LOCK))
    .digest('hex')
    .slice(0, 12)}`,
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
    ctx.log(
      "resolving the connector jars from Maven Central (-common's SPARK_JOB_ARTIFACTS)",
    );
    const resolved = resolveSparkJobJars(path.join(ctx.installDir, 'maven'));
    // The Spark image downloads exactly the locked jars: the runtime here
    // must be the same set, byte for byte.
    const difference = jarLockDifference(SPARK_JOB_JARS, resolved);
    if (difference)
      throw new Error(
        `Maven resolves other jars than -common's SPARK_JOB_JARS lock:\n${difference}\nRun \`stack/lp-stack spark-lock\` to regenerate the lock, and review the change`,
      );
    fs.mkdirSync(jarsDir(ctx), { recursive: true });
    for (const jar of resolved)
      fs.renameSync(
        path.join(ctx.installDir, 'maven', 'repository', jar.path),
        path.join(jarsDir(ctx), path.posix.basename(jar.path)),
      );
    fs.rmSync(path.join(ctx.installDir, 'maven'), {
      recursive: true,
      force: true,
    });
    ctx.log(`${resolved.length} jars in ${jarsDir(ctx)}, as locked`);
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
