import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

export type SparkJob = {
  process: ChildProcess;
  /** Everything the job printed so far (stdout and stderr). */
  output: () => string;
  /** Resolves with the exit code (or the signal's name). */
  done: Promise<number | string>;
  /** SIGKILL to the whole process group: the driver and its Python workers. */
  kill: () => void;
};

/**
 * Starts a generated job with the stack's pyspark (`spark-submit --master
 * local[2]`), its connector jars, S3A pointed at the stack's S3 with SSE-KMS,
 * and `jobs/` on the Python path of the driver and the workers.
 */
export function startSparkJob(
  env: Record<string, string>,
  jobsDir: string,
  job: string,
  args: string[],
  /** More Spark configuration, e.g. the Iceberg catalog of the batch job. */
  extraConf: Record<string, string> = {},
): SparkJob {
  const conf: Record<string, string> = {
    'spark.ui.enabled': 'false',
    'spark.sql.shuffle.partitions': '2',
    'spark.driver.memory': '1g',
    'spark.sql.session.timeZone': 'UTC',
    'spark.hadoop.fs.s3a.endpoint': env.LP_S3_ENDPOINT,
    'spark.hadoop.fs.s3a.endpoint.region': env.LP_S3_REGION,
    'spark.hadoop.fs.s3a.path.style.access': 'true',
    'spark.hadoop.fs.s3a.encryption.algorithm': 'SSE-KMS',
    'spark.hadoop.fs.s3a.encryption.key': env.LP_S3_KMS_KEY_ID,
    ...extraConf,
  };
  const argv = [
    '--master',
    'local[2]',
    '--jars',
    env.LP_SPARK_JARS,
    ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
    path.join(jobsDir, job),
    '--config',
    path.join(jobsDir, 'pipeline.json'),
    ...args,
  ];
  // Spark's scratch space (about 200 MB of copied connector jars per job),
  // removed when the job exits: a job killed with SIGKILL never runs the
  // shutdown hook that would delete it.
  const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-spark-'));
  const child = spawn(env.LP_SPARK_SUBMIT, argv, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PYTHONPATH: jobsDir,
      PYSPARK_PYTHON: env.LP_SPARK_PYTHON,
      PYSPARK_DRIVER_PYTHON: env.LP_SPARK_PYTHON,
      AWS_ACCESS_KEY_ID: env.LP_S3_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: env.LP_S3_SECRET_ACCESS_KEY,
      AWS_REGION: env.LP_S3_REGION,
      CLICKHOUSE_USER: env.LP_CLICKHOUSE_USER,
      CLICKHOUSE_PASSWORD: env.LP_CLICKHOUSE_PASSWORD ?? '',
      SNOWFLAKE_PASSWORD: env.LP_SNOWFLAKE_PASSWORD,
      SPARK_LOCAL_DIRS: localDir,
    },
  });
  let output = '';
  child.stdout!.on('data', chunk => (output += chunk));
  child.stderr!.on('data', chunk => (output += chunk));
  const done = new Promise<number | string>(resolve =>
    child.on('exit', (code, signal) => {
      fs.rmSync(localDir, { recursive: true, force: true });
      resolve(code ?? signal ?? -1);
    }),
  );
  return {
    process: child,
    output: () => output,
    done,
    kill: () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/** Runs a job to completion; throws with its output when it fails. */
export async function runSparkJob(
  env: Record<string, string>,
  jobsDir: string,
  job: string,
  args: string[],
  extraConf: Record<string, string> = {},
): Promise<string> {
  const started = startSparkJob(env, jobsDir, job, args, extraConf);
  const code = await started.done;
  if (code !== 0) {
    throw new Error(
      `${job} exited with ${code}:\n${started.output().slice(-6000)}`,
    );
  }
  return started.output();
}
