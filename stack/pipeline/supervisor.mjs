// The long-running process of a pipeline on the local stack (`lp-stack
// pipeline start` spawns it; `stop` ends its process group). It plays the
// parts Kubernetes and Airflow play in a cluster:
// - the speed job (Spark Structured Streaming, `local[2]`), restarted
//   whenever it exits, as the SparkApplication's `restartPolicy: Always` does;
// - the batch cycle every `batchEverySeconds` (or when `lp-stack pipeline
//   batch` asks): the batch job, then dbt build, then the reconciliation
//   module, as the batch_load -> dbt -> reconciliation DAGs chain them;
// - the load generator, committing OLTP changes at the set rate.
// Its state (status.json, logs, checkpoints, dbt's work files) lives in the
// pipeline's directory; status.json is rewritten after every change.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { components } from '../components/index.mjs';
import { componentContext } from '../lib/context.mjs';
import { parseMix, runLoad } from '../loadgen/loadgen.mjs';
import { readPlatform } from './platform.mjs';
import { dbtSnowflakeEnv } from './dbt.mjs';
import { icebergCatalogConf, sparkSubmitCommand } from './spark.mjs';
import {
  connectApi,
  connectorNames,
  setUpPipeline,
  sourceConnection,
  warehouseOf,
} from './setup.mjs';

const stateDir = process.argv[2];
const options = JSON.parse(
  fs.readFileSync(path.join(stateDir, 'options.json'), 'utf8'),
);
const env = Object.assign(
  {},
  ...components.map(c => c.env(componentContext(c.name, c.version))),
);
const logsDir = path.join(stateDir, 'logs');
fs.mkdirSync(logsDir, { recursive: true });

const status = {
  name: undefined,
  pid: process.pid,
  state: 'starting',
  startedAt: new Date().toISOString(),
  options,
  speed: { state: 'stopped', restarts: 0, lastExit: null },
  batch: { cycles: 0, running: false, last: null },
  load: { state: 'stopped', events: 0, rate: 0 },
  connectors: { restarts: 0, lastRestart: null },
  error: null,
};
function save() {
  status.updatedAt = new Date().toISOString();
  const file = path.join(stateDir, 'status.json');
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(status, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}
function log(message) {
  process.stdout.write(`[${new Date().toISOString()}] ${message}\n`);
}

let stopping = false;
const children = new Set();
const sleep = ms => new Promise(r => setTimeout(r, ms));

const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/** Runs a program with its output appended to logs/<name>.log; resolves with the exit code. */
function runLogged(name, command, args, opts = {}) {
  const file = path.join(logsDir, `${name}.log`);
  // One older generation is kept: <name>.log.1, when the log passed 10 MB.
  try {
    if (fs.statSync(file).size > LOG_ROTATE_BYTES)
      fs.renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
  const out = fs.openSync(file, 'a');
  fs.writeSync(
    out,
    `\n=== ${new Date().toISOString()} ${path.basename(command)} ${args
      .slice(-6)
      .join(' ')}\n`,
  );
  const child = spawn(command, args, {
    stdio: ['ignore', out, out],
    ...opts,
    env: { ...process.env, ...opts.env },
  });
  fs.closeSync(out);
  children.add(child);
  const done = new Promise(resolve =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal ?? -1);
    }),
  );
  return { child, done };
}

function sparkSubmit(p, job, args, conf = {}) {
  const name = job.replace(/_job\.py$/, '');
  // Spark's scratch space under the pipeline's directory, emptied before
  // every start and removed when the job exits.
  const localDir = path.join(stateDir, 'spark-local', name);
  fs.rmSync(localDir, { recursive: true, force: true });
  fs.mkdirSync(localDir, { recursive: true });
  const submit = sparkSubmitCommand(env, {
    jobsDir: path.join(p.dir, 'jobs'),
    job,
    args,
    conf: {
      // Spark's own INFO lines are about 4,400 a minute in a long run; the
      // jobs' progress lines are Python logging at INFO and stay.
      'spark.log.level': 'WARN',
      ...conf,
    },
    localDir,
  });
  const run = runLogged(name, submit.command, submit.args, {
    env: submit.env,
  });
  run.done.then(() => fs.rmSync(localDir, { recursive: true, force: true }));
  return run;
}

const snowflakeArgs = () => [
  '--set',
  `batch.snowflake.url=${env.LP_SNOWFLAKE_ACCESS_URL}`,
  '--set',
  `batch.snowflake.account=${env.LP_SNOWFLAKE_ACCOUNT}`,
  '--set',
  `batch.snowflake.user=${env.LP_SNOWFLAKE_USER}`,
];

/** The speed job, restarted whenever it exits (restartPolicy: Always), with a growing pause. */
async function superviseSpeedJob(p) {
  const checkpoint = `file://${path.join(stateDir, 'checkpoints', 'speed')}`;
  let pause = 2000;
  while (!stopping) {
    const started = Date.now();
    const { child, done } = sparkSubmit(p, 'speed_job.py', [
      '--set',
      `kafka.bootstrapServers=${env.LP_KAFKA_BROKERS}`,
      '--set',
      `speed.clickhouseUrl=${env.LP_CLICKHOUSE_URL}`,
      '--set',
      `speed.checkpointLocation=${checkpoint}`,
      ...(options.speedTriggerSeconds
        ? [
            '--set',
            `speed.triggerIntervalSeconds=${options.speedTriggerSeconds}`,
          ]
        : []),
    ]);
    Object.assign(status.speed, {
      state: 'running',
      pid: child.pid,
      startedAt: new Date().toISOString(),
    });
    save();
    log(`speed job started (pid ${child.pid})`);
    const code = await done;
    if (stopping) break;
    status.speed.restarts++;
    status.speed.lastExit = { code, at: new Date().toISOString() };
    status.speed.state = 'restarting';
    save();
    // A run that lasted a while resets the back-off, as the operator does.
    pause = Date.now() - started > 60_000 ? 2000 : Math.min(pause * 2, 30_000);
    log(`speed job exited (${code}); restarting in ${pause / 1000} s`);
    await sleep(pause);
  }
  status.speed.state = 'stopped';
  save();
}

async function step(cycle, name, run) {
  const started = Date.now();
  try {
    const detail = await run();
    cycle.steps[name] = {
      ok: true,
      seconds: (Date.now() - started) / 1000,
      ...detail,
    };
  } catch (error) {
    cycle.steps[name] = {
      ok: false,
      seconds: (Date.now() - started) / 1000,
      error: String(error.message ?? error).slice(0, 2000),
    };
  }
  save();
  return cycle.steps[name].ok;
}

function lastJsonLine(file) {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].startsWith('{')) {
      try {
        return JSON.parse(lines[i]);
      } catch {
        // not the summary line
      }
    }
  }
  return undefined;
}

/** One batch cycle: batch job -> dbt build -> reconciliation (what the three DAGs run, in order). */
async function batchCycle(p) {
  const cycle = { startedAt: new Date().toISOString(), steps: {} };
  status.batch.running = true;
  status.batch.current = cycle;
  save();
  const warehouse = warehouseOf(env, p);
  const batchOk = await step(cycle, 'batch', async () => {
    const { done } = sparkSubmit(
      p,
      'batch_job.py',
      snowflakeArgs(),
      icebergCatalogConf(env, warehouse),
    );
    const code = await done;
    if (code !== 0)
      throw new Error(`batch job exited with ${code}; see logs/batch.log`);
    return {};
  });
  if (batchOk && p.dagsDir && !options.skipDbt) {
    await step(cycle, 'dbt', async () => {
      const work = path.join(stateDir, 'dbt');
      fs.mkdirSync(work, { recursive: true });
      const dbtEnv = {
        DBT_TARGET: 'snowflake',
        DBT_PROFILES_DIR: path.join(p.dagsDir, 'dbt'),
        DBT_TARGET_PATH: path.join(work, 'target'),
        DBT_LOG_PATH: path.join(work, 'logs'),
        DBT_PACKAGES_INSTALL_PATH: path.join(work, 'dbt_packages'),
        ...dbtSnowflakeEnv(env, p.plan.batch.snowflake),
        DBT_THREADS: '1',
      };
      // Incremental, as on Snowflake: the emulator runs dbt-snowflake's MERGE.
      for (const args of [['deps'], ['build', '--target', 'snowflake']]) {
        const { done } = runLogged('dbt', env.LP_DBT_BIN, args, {
          cwd: path.join(p.dagsDir, 'dbt'),
          env: dbtEnv,
        });
        const code = await done;
        if (code !== 0)
          throw new Error(
            `dbt ${args.join(' ')} exited with ${code}; see logs/dbt.log`,
          );
      }
      return {};
    });
  }
  if (batchOk && p.dagsDir) {
    await step(cycle, 'reconciliation', async () => {
      const { done } = runLogged(
        'reconciliation',
        env.LP_DBT_PYTHON,
        [
          '-m',
          'lambda_pipeline.reconciliation',
          '--set',
          `speed.clickhouseUrl=${env.LP_CLICKHOUSE_URL}`,
          ...snowflakeArgs(),
          ...(options.reconciliationWindowMinutes
            ? [
                '--set',
                `reconciliation.windowMinutes=${options.reconciliationWindowMinutes}`,
                '--set',
                'reconciliation.allowedLatenessMinutes=0',
              ]
            : []),
        ],
        {
          cwd: p.dagsDir,
          env: {
            CLICKHOUSE_USER: env.LP_CLICKHOUSE_USER,
            CLICKHOUSE_PASSWORD: env.LP_CLICKHOUSE_PASSWORD ?? '',
            SNOWFLAKE_PASSWORD: env.LP_SNOWFLAKE_PASSWORD,
          },
        },
      );
      const code = await done;
      const out = lastJsonLine(path.join(logsDir, 'reconciliation.log'));
      // Exit code 2: checked, and some closed windows differ.
      if (code !== 0 && code !== 2)
        throw new Error(
          `reconciliation exited with ${code}; see logs/reconciliation.log`,
        );
      return { code, message: out?.message, windows: out?.results?.length };
    });
  }
  cycle.finishedAt = new Date().toISOString();
  status.batch.cycles++;
  status.batch.last = cycle;
  status.batch.running = false;
  delete status.batch.current;
  save();
  log(
    `batch cycle ${status.batch.cycles}: ${Object.entries(cycle.steps)
      .map(([k, v]) => `${k} ${v.ok ? 'ok' : 'FAILED'}`)
      .join(', ')}`,
  );
}

/** Batch cycles every batchEverySeconds, or as soon as `lp-stack pipeline batch` writes the request file. */
async function scheduleBatch(p) {
  const request = path.join(stateDir, 'batch.request');
  // The first cycle soon after start (once the lake sink has committed), so
  // the batch layer shows data early; then every batchEverySeconds.
  let next =
    Date.now() +
    Math.min(options.batchEverySeconds, options.firstBatchSeconds ?? 90) * 1000;
  while (!stopping) {
    if (fs.existsSync(request) || Date.now() >= next) {
      fs.rmSync(request, { force: true });
      next = Date.now() + options.batchEverySeconds * 1000;
      await batchCycle(p);
      continue;
    }
    await sleep(1000);
  }
}

/**
 * What Strimzi's `autoRestart` does for the rendered KafkaConnectors: a
 * failed connector or task is restarted, with a back-off that grows per
 * connector (2 s, 4 s, ... up to 60 s) and resets once it runs again.
 */
async function watchConnectors(p) {
  const pause = new Map();
  const due = new Map();
  while (!stopping) {
    for (const name of Object.values(connectorNames(p)).filter(Boolean)) {
      const s = await connectApi(
        env,
        'GET',
        `/connectors/${name}/status`,
      ).catch(() => undefined);
      // Connect itself down: nothing to restart until it is back.
      if (!s || s.status !== 200) continue;
      const failed =
        s.body?.connector?.state === 'FAILED' ||
        (s.body?.tasks ?? []).some(t => t.state === 'FAILED');
      if (!failed) {
        pause.delete(name);
        continue;
      }
      if (Date.now() < (due.get(name) ?? 0)) continue;
      const wait = Math.min((pause.get(name) ?? 1000) * 2, 60_000);
      pause.set(name, wait);
      due.set(name, Date.now() + wait);
      await connectApi(
        env,
        'POST',
        `/connectors/${name}/restart?includeTasks=true&onlyFailed=true`,
      ).catch(() => undefined);
      status.connectors.restarts++;
      status.connectors.lastRestart = {
        connector: name,
        at: new Date().toISOString(),
      };
      save();
      log(
        `connector ${name} failed; restarted it (next back-off ${
          wait / 1000
        } s)`,
      );
    }
    await sleep(2000);
  }
}

const loadAbort = new AbortController();
/** `lp-stack pipeline stop-load` writes load.stop: the load generator ends. */
async function watchLoadStop() {
  const file = path.join(stateDir, 'load.stop');
  while (!stopping && !loadAbort.signal.aborted) {
    if (fs.existsSync(file)) {
      fs.rmSync(file, { force: true });
      log('load generator stopped on request');
      loadAbort.abort();
    }
    await sleep(500);
  }
}

async function generateLoad(p) {
  if (!options.rate) return;
  status.load = { state: 'running', rate: options.rate, events: 0 };
  save();
  let lastSave = 0;
  try {
    const result = await runLoad({
      spec: p.spec,
      rate: options.rate,
      seconds: options.loadSeconds ?? 365 * 24 * 3600,
      mix: parseMix(options.mix ?? '60,35,5'),
      seed: Date.now() % 1_000_000,
      postgres: sourceConnection(env, p),
      signal: loadAbort.signal,
      onProgress: progress => {
        status.load.events = progress.events;
        status.load.achieved = Math.round(progress.events / progress.seconds);
        if (Date.now() - lastSave > 5000) {
          lastSave = Date.now();
          save();
        }
      },
    });
    status.load = {
      ...status.load,
      state: loadAbort.signal.aborted ? 'stopped' : 'finished',
      events: result.events,
      finishedAt: new Date().toISOString(),
    };
  } catch (error) {
    status.load.state = 'failed';
    status.load.error = String(error.message ?? error);
    log(`load generator failed: ${error.message ?? error}`);
  }
  save();
}

async function main() {
  const p = readPlatform(options.platformDir, options.dagsDir);
  if (!p.lake)
    throw new Error(
      'the local profile runs pipelines with the Iceberg lake sink; this one writes raw files (lakeSink s3-raw)',
    );
  status.name = p.name;
  save();
  await setUpPipeline(env, p, {
    fresh: options.fresh,
    lakeCommitMs: options.lakeCommitMs,
    log,
  });
  status.state = 'running';
  status.runningSince = new Date().toISOString();
  save();
  log(`${p.name} is running`);
  await Promise.all([
    superviseSpeedJob(p),
    scheduleBatch(p),
    generateLoad(p),
    watchConnectors(p),
    watchLoadStop(),
  ]);
}

function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  loadAbort.abort();
  for (const child of children) child.kill('SIGTERM');
  status.state = 'stopping';
  save();
  setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(0);
  }, 10_000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

main().then(
  () => {
    status.state = 'stopped';
    save();
    process.exit(0);
  },
  error => {
    status.state = 'failed';
    status.error = String(error.stack ?? error);
    save();
    log(`failed: ${error.stack ?? error}`);
    process.exit(1);
  },
);
