// `lp-stack pipeline start|stop|status|batch`: a pipeline created from the
// template, running as processes on the local stack (the `local` profile
// without a cluster). Each pipeline's state is one directory,
// .lp-stack/pipelines/<name>: status.json, options.json, logs/, the speed
// job's checkpoints and dbt's work files. Its lake (Iceberg) is in the
// stack's S3 under s3://<bucket>/pipelines/<name>/.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { components } from '../components/index.mjs';
import {
  STATE_DIR,
  componentContext,
  isAlive,
  log,
  sleep,
  tail,
} from '../lib/context.mjs';
import { readPlatform } from './platform.mjs';
import { connectApi, connectorNames, tearDownPipeline } from './setup.mjs';

const PIPELINES_DIR = path.join(STATE_DIR, 'pipelines');
const here = path.dirname(new URL(import.meta.url).pathname);

export const pipelineDir = name => path.join(PIPELINES_DIR, name);

const stackEnv = () =>
  Object.assign(
    {},
    ...components.map(c => c.env(componentContext(c.name, c.version))),
  );

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function pipelineStatus(name) {
  const dir = pipelineDir(name);
  const status = readJson(path.join(dir, 'status.json'));
  if (!status) return undefined;
  const alive = isAlive(status.pid);
  return {
    ...status,
    alive,
    state: alive
      ? status.state
      : status.state === 'failed'
      ? 'failed'
      : 'stopped',
  };
}

function parseOptions(args) {
  const value = name => {
    const at = args.indexOf(name);
    if (at < 0) return undefined;
    const v = args[at + 1];
    if (v === undefined || v.startsWith('--'))
      throw new Error(`${name} needs a value`);
    return v;
  };
  const number = (name, fallback, { min = 0, integer = false } = {}) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
      throw new Error(
        `${name} must be a${
          integer ? 'n integer' : ' number'
        } of at least ${min}; got '${raw}'`,
      );
    return n;
  };
  return {
    dagsDir: value('--dags'),
    rate: number('--rate', 500),
    mix: value('--mix'),
    loadSeconds: number('--load-seconds', undefined, { min: 1 }),
    batchEverySeconds: number('--batch-every', 300, { min: 10 }),
    firstBatchSeconds: number('--first-batch', 90, { min: 1 }),
    lakeCommitMs: number('--lake-commit-ms', undefined, {
      min: 1000,
      integer: true,
    }),
    speedTriggerSeconds: number('--speed-trigger', undefined, { min: 1 }),
    reconciliationWindowMinutes: number('--window-minutes', undefined, {
      min: 1,
      integer: true,
    }),
    skipDbt: args.includes('--no-dbt'),
    fresh: args.includes('--fresh'),
  };
}

/** Starts the pipeline's supervisor and waits until its connectors and jobs are up. */
export async function startPipeline(args) {
  const target = args[0];
  if (!target || target.startsWith('--') || !fs.existsSync(target))
    throw new Error(
      `pipeline start needs the pipeline's platform repository (a directory holding pipeline.yaml and jobs/); got '${
        target ?? ''
      }'`,
    );
  const options = parseOptions(args.slice(1));
  const p = readPlatform(target, options.dagsDir);
  const dir = pipelineDir(p.name);
  const current = pipelineStatus(p.name);
  if (current?.alive)
    throw new Error(
      `pipeline ${p.name} is already running (pid ${current.pid}); stop it first: stack/lp-stack pipeline stop ${p.name}`,
    );
  // A pipeline that never got running (or was never started) starts fresh;
  // so does one whose lake is gone: the stack's S3 keeps objects in memory,
  // and a restarted S3 no longer has the Iceberg files the catalog points to.
  const s3Pid = path.join(STATE_DIR, 'run', 's3.pid');
  const lakeGone =
    current?.runningSince &&
    fs.existsSync(s3Pid) &&
    fs.statSync(s3Pid).mtimeMs > Date.parse(current.runningSince);
  if (lakeGone && !options.fresh)
    log(
      `pipeline ${p.name}: the stack's S3 restarted since it last ran (its lake is gone); starting fresh`,
    );
  const fresh = options.fresh || !current?.runningSince || Boolean(lakeGone);
  if (fresh) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  fs.rmSync(path.join(dir, 'status.json'), { force: true });
  fs.writeFileSync(
    path.join(dir, 'options.json'),
    JSON.stringify(
      { ...options, fresh, platformDir: p.dir, dagsDir: p.dagsDir },
      null,
      2,
    ),
  );
  const supervisorLog = path.join(dir, 'logs', 'supervisor.log');
  const out = fs.openSync(supervisorLog, 'a');
  const child = spawn(
    process.execPath,
    [path.join(here, 'supervisor.mjs'), dir],
    {
      detached: true,
      stdio: ['ignore', out, out],
    },
  );
  child.unref();
  fs.closeSync(out);
  log(
    `pipeline ${p.name}: ${fresh ? 'starting fresh' : 'resuming'} (pid ${
      child.pid
    }); state in ${dir}`,
  );
  const started = Date.now();
  let reported = Date.now();
  for (;;) {
    const s = pipelineStatus(p.name);
    if (s?.state === 'running' && s.speed?.state === 'running') break;
    if (
      s?.state === 'failed' ||
      (!isAlive(child.pid) && Date.now() - started > 2000)
    ) {
      throw new Error(
        `pipeline ${p.name} failed to start: ${
          s?.error ?? 'the supervisor exited'
        }\nlast lines of ${supervisorLog}:\n${tail(supervisorLog)}`,
      );
    }
    if (Date.now() - started > 300_000)
      throw new Error(
        `pipeline ${p.name} is not up after 300 s; see ${supervisorLog}`,
      );
    if (Date.now() - reported > 10_000) {
      reported = Date.now();
      log(
        `pipeline ${p.name}: setting up (${Math.round(
          (Date.now() - started) / 1000,
        )} s)`,
      );
    }
    await sleep(500);
  }
  log(
    `pipeline ${p.name}: running — load ${options.rate} events/s, batch cycle every ${options.batchEverySeconds} s; stop with: stack/lp-stack pipeline stop ${p.name}`,
  );
  return p.name;
}

/** Stops the supervisor's process group and pauses the pipeline's connectors. */
export async function stopPipeline(name) {
  if (!name)
    throw new Error(
      'pipeline stop needs the pipeline name (see: stack/lp-stack pipeline status)',
    );
  const s = pipelineStatus(name);
  if (!s) throw new Error(`no pipeline ${name} under ${PIPELINES_DIR}`);
  if (s.alive) {
    const kill = sig => {
      try {
        process.kill(-s.pid, sig);
      } catch {
        // gone
      }
    };
    kill('SIGTERM');
    const deadline = Date.now() + 20_000;
    while (isAlive(s.pid) && Date.now() < deadline) await sleep(200);
    kill('SIGKILL');
  }
  const options = readJson(path.join(pipelineDir(name), 'options.json'));
  if (options?.platformDir && fs.existsSync(options.platformDir)) {
    const env = stackEnv();
    const p = readPlatform(options.platformDir, options.dagsDir);
    for (const connector of Object.values(connectorNames(p)).filter(Boolean)) {
      await connectApi(env, 'PUT', `/connectors/${connector}/pause`).catch(
        () => undefined,
      );
    }
  }
  log(
    `pipeline ${name}: stopped (connectors paused; data kept in ${pipelineDir(
      name,
    )})`,
  );
}

/** Stops the pipeline and removes its data from the stack, and its state directory. */
export async function deletePipeline(name) {
  if (!name) throw new Error('pipeline delete needs the pipeline name');
  const s = pipelineStatus(name);
  if (!s) throw new Error(`no pipeline ${name} under ${PIPELINES_DIR}`);
  await stopPipeline(name);
  const options = readJson(path.join(pipelineDir(name), 'options.json'));
  if (options?.platformDir && fs.existsSync(options.platformDir)) {
    const p = readPlatform(options.platformDir, options.dagsDir);
    await tearDownPipeline(stackEnv(), p, {
      log: m => log(`pipeline ${name}: ${m}`),
    });
  }
  fs.rmSync(pipelineDir(name), { recursive: true, force: true });
  log(`pipeline ${name}: deleted`);
}

/** Ends the load generator of a running pipeline (the jobs keep running). */
export async function stopLoad(name) {
  const s = pipelineStatus(name);
  if (!s?.alive) throw new Error(`pipeline ${name} is not running`);
  fs.writeFileSync(path.join(pipelineDir(name), 'load.stop'), '');
  for (let i = 0; i < 60; i++) {
    const now = pipelineStatus(name);
    if (now?.load?.state !== 'running') return now.load;
    await sleep(500);
  }
  throw new Error(`the load generator of ${name} did not stop within 30 s`);
}

/** Asks the supervisor for a batch cycle now and waits for it. */
export async function batchNow(name, timeoutSeconds = 900) {
  const s = pipelineStatus(name);
  if (!s?.alive) throw new Error(`pipeline ${name} is not running`);
  const before = s.batch?.cycles ?? 0;
  fs.writeFileSync(
    path.join(pipelineDir(name), 'batch.request'),
    new Date().toISOString(),
  );
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const now = pipelineStatus(name);
    // A cycle already running when asked does not count: wait for the next.
    if ((now?.batch?.cycles ?? 0) >= before + (s.batch?.running ? 2 : 1))
      return now.batch.last;
    if (!now?.alive)
      throw new Error(`pipeline ${name} stopped during the batch cycle`);
    if (Date.now() > deadline)
      throw new Error(
        `no batch cycle of ${name} finished within ${timeoutSeconds} s`,
      );
    await sleep(1000);
  }
}

export function listPipelines() {
  if (!fs.existsSync(PIPELINES_DIR)) return [];
  return fs
    .readdirSync(PIPELINES_DIR)
    .map(name => pipelineStatus(name))
    .filter(Boolean);
}

export async function pipelineCommand(args) {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'start':
      await startPipeline(rest);
      return;
    case 'stop':
      await stopPipeline(rest[0]);
      return;
    case 'delete':
      await deletePipeline(rest[0]);
      return;
    case 'stop-load': {
      const load = await stopLoad(rest[0]);
      process.stdout.write(`${JSON.stringify(load)}\n`);
      return;
    }
    case 'batch': {
      const cycle = await batchNow(rest[0]);
      process.stdout.write(`${JSON.stringify(cycle, null, 2)}\n`);
      if (Object.values(cycle.steps).some(s => !s.ok)) process.exitCode = 1;
      return;
    }
    case 'status': {
      const list = rest[0]
        ? [pipelineStatus(rest[0])].filter(Boolean)
        : listPipelines();
      if (rest.includes('--json')) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      if (!list.length) process.stdout.write('no pipelines\n');
      for (const s of list) {
        const last = s.batch?.last;
        process.stdout.write(
          `${s.name}: ${s.state}${
            s.alive ? ` (pid ${s.pid})` : ''
          }; speed job ${s.speed?.state} (${
            s.speed?.restarts ?? 0
          } restarts); load ${s.load?.state} ${s.load?.events ?? 0} events at ${
            s.load?.achieved ?? 0
          }/s; batch cycles ${s.batch?.cycles ?? 0}${
            last
              ? ` (last: ${Object.entries(last.steps)
                  .map(([k, v]) => `${k} ${v.ok ? 'ok' : 'failed'}`)
                  .join(', ')})`
              : ''
          }\n`,
        );
      }
      return;
    }
    default:
      throw new Error(
        `unknown pipeline command '${
          sub ?? ''
        }'; use start <platform dir>, stop <name>, status [name], batch <name>, stop-load <name>, delete <name>`,
      );
  }
}
