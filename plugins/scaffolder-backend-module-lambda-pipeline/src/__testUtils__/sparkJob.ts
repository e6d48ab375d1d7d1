import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { stackModulePath } from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';

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
 * Starts a generated job as the local pipeline supervisor does (the stack's
 * `pipeline/spark.mjs`): the stack's pyspark with `spark-submit --master
 * local[2]`, its connector jars, S3A pointed at the stack's S3 with SSE-KMS,
 * and `jobs/` on the Python path of the driver and the workers.
 */
export async function startSparkJob(
  env: Record<string, string>,
  jobsDir: string,
  job: string,
  args: string[],
  /** More Spark configuration, e.g. the Iceberg catalog of the batch job. */
  extraConf: Record<string, string> = {},
): Promise<SparkJob> {
  const { sparkSubmitCommand } = await import(
    stackModulePath('pipeline/spark.mjs')
  );
  // Spark's scratch space (about 200 MB of copied connector jars per job),
  // removed when the job exits.
  const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-spark-'));
  const submit = sparkSubmitCommand(env, {
    jobsDir,
    job,
    args,
    conf: extraConf,
    localDir,
  });
  const child = spawn(submit.command, submit.args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...submit.env },
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
  const started = await startSparkJob(env, jobsDir, job, args, extraConf);
  const code = await started.done;
  if (code !== 0) {
    throw new Error(
      `${job} exited with ${code}:\n${started.output().slice(-6000)}`,
    );
  }
  return started.output();
}
