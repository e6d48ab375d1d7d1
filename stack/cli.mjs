// The local real stack: `lp-stack install|up|down|status|logs|env`.
// Every component is a module in ./components with the same shape:
//   { name, version, description, dependsOn, readyTimeoutSeconds, stopSignal?,
//     install(ctx), start(ctx), ready(ctx), afterReady?(ctx), cleanup?(ctx) (on
//     down, once its processes are gone), env(ctx), appConfig?(ctx) }
// A runtime (`runtime: true`: Spark, Airflow, dbt) is installed, not started:
//   { name, version, description, dependsOn, runtime: true, install(ctx), check?(ctx),
//     cleanup?(ctx) (on down), env(ctx) }
import fs from 'node:fs';
import { components } from './components/index.mjs';
import {
  componentContext,
  isAlive,
  log,
  sleep,
  tail,
  STATE_DIR,
} from './lib/context.mjs';

const byName = new Map(
  components.map(component => [component.name, component]),
);
const ctxOf = component => componentContext(component.name, component.version);

function usage(code = 0) {
  process.stdout.write(`Usage: stack/lp-stack <command> [components...]

Commands:
  install [c...]   install components (cached by version outside the repo)
  up [c...]        install and start components and what they depend on; waits until ready
                   (none named: all but kube-node, the real node, which is started when named)
  down [c...]      stop components this checkout started (all when none named)
  status           state of every component
  logs <c> [-n N]  last N lines (default 80) of a component's log
  env [--app-config [--environment NAME] [--components a,b]|--json]
                   connection settings as shell exports, an app-config fragment
                   (lambdaPipelines.environments.NAME, default dev), or JSON
  load <platform dir|pipeline.yaml> [--rate N] [--seconds S] [--mix I,U,D]
       [--kafka] [--create] [--seed N]
                   OLTP changes into the spec's source tables in the stack's
                   PostgreSQL at N events/s (default 1000) for S seconds
                   (default 60); --kafka produces them as Debezium events to
                   the CDC topics instead (needs the platform dir's
                   jobs/pipeline.json); --create creates missing tables

  pipeline start <platform dir> [--rate N] [--batch-every S] [--fresh] ...
  pipeline stop|status|batch|stop-load|delete <name>
                   a pipeline created from the template, running as processes
                   on the stack (the local profile without a cluster): its
                   connectors, the speed job, batch cycles (batch job, dbt,
                   reconciliation) and a load of N events/s (default 500);
                   see stack/README.md

  spark-lock       re-resolve -common's SPARK_JOB_ARTIFACTS with Maven and
                   rewrite its SPARK_JOB_JARS lock (paths and SHA-256)

Components: ${components.map(c => c.name).join(', ')}
State (data, logs, pids): ${STATE_DIR}
`);
  process.exit(code);
}

/**
 * The named components plus everything they depend on, dependencies first.
 * None named: every component but those that are only started when named
 * (`optIn`: the real node, while kwok's still carries the deploy tests).
 */
function withDependencies(names) {
  const wanted =
    names.length > 0
      ? names
      : components.filter(c => !c.optIn).map(c => c.name);
  const ordered = [];
  const visit = (name, chain = []) => {
    const component = byName.get(name);
    if (!component) {
      throw new Error(
        `unknown component '${name}'; known: ${components
          .map(c => c.name)
          .join(', ')}`,
      );
    }
    if (chain.includes(name))
      throw new Error(`dependency cycle: ${[...chain, name].join(' -> ')}`);
    for (const dependency of component.dependsOn ?? [])
      visit(dependency, [...chain, name]);
    if (!ordered.includes(component)) ordered.push(component);
  };
  wanted.forEach(name => visit(name));
  return ordered;
}

async function isReady(component, ctx) {
  try {
    return Boolean(await component.ready(ctx));
  } catch {
    return false;
  }
}

async function install(component) {
  const ctx = ctxOf(component);
  if (ctx.installed()) return;
  const started = Date.now();
  ctx.log(`installing ${component.version} into ${ctx.installDir}`);
  fs.mkdirSync(ctx.installDir, { recursive: true });
  await component.install(ctx);
  ctx.markInstalled();
  ctx.log(`installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function up(component) {
  const ctx = ctxOf(component);
  await install(component);
  if (component.runtime) {
    // Nothing runs: a quick check that the installed runtime works.
    await component.check?.(ctx);
    return;
  }
  const pid = ctx.readPid();
  if (isAlive(pid)) {
    if (await isReady(component, ctx)) {
      ctx.log(`already up (pid ${pid})`);
      return;
    }
  } else if (pid) {
    fs.rmSync(ctx.pidFile, { force: true });
  }
  if (!isAlive(ctx.readPid())) {
    ctx.log('starting');
    await component.start(ctx);
  }
  const timeout = (component.readyTimeoutSeconds ?? 60) * 1000;
  const started = Date.now();
  let reported = Date.now();
  for (;;) {
    if (await isReady(component, ctx)) {
      // One-time or idempotent set-up that needs the running service.
      await component.afterReady?.(ctx);
      ctx.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    if (!isAlive(ctx.readPid())) {
      throw new Error(
        `${component.name} exited while starting; last lines of ${
          ctx.logFile
        }:\n${tail(ctx.logFile)}`,
      );
    }
    if (Date.now() - started > timeout) {
      throw new Error(
        `${component.name} is not ready after ${
          timeout / 1000
        } s; last lines of ${ctx.logFile}:\n${tail(ctx.logFile)}`,
      );
    }
    if (Date.now() - reported > 10_000) {
      reported = Date.now();
      ctx.log(
        `waiting until ready (${Math.round((Date.now() - started) / 1000)} s)`,
      );
    }
    await sleep(500);
  }
}

async function down(component) {
  const ctx = ctxOf(component);
  // A runtime runs nothing of its own, but may leave things to clean up
  // (podman: containers, their cgroups).
  if (component.runtime) {
    await component.cleanup?.(ctx);
    return;
  }
  const pid = ctx.readPid();
  if (!pid) {
    await component.cleanup?.(ctx);
    return;
  }
  if (isAlive(pid)) {
    ctx.log(`stopping (pid ${pid})`);
    // The whole process group: the component and anything it started.
    const signal = sig => {
      try {
        process.kill(-pid, sig);
      } catch {
        try {
          process.kill(pid, sig);
        } catch {
          // gone
        }
      }
    };
    signal(component.stopSignal ?? 'SIGTERM');
    const deadline = Date.now() + (component.stopTimeoutSeconds ?? 20) * 1000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(200);
    if (isAlive(pid)) {
      ctx.log('did not stop in time; killing');
      signal('SIGKILL');
      while (isAlive(pid)) await sleep(100);
    }
  }
  fs.rmSync(ctx.pidFile, { force: true });
  // What the component's processes leave outside its state directory (the
  // node: iptables chains, cgroups, kernel settings), also after a crash.
  await component.cleanup?.(ctx);
}

async function status() {
  const rows = [];
  for (const component of components) {
    const ctx = ctxOf(component);
    const pid = ctx.readPid();
    let state;
    if (component.runtime)
      state = ctx.installed() ? 'installed' : 'not-installed';
    else if (!pid) state = 'stopped';
    else if (!isAlive(pid)) state = 'dead (stale pid file; run up to restart)';
    else state = (await isReady(component, ctx)) ? 'up' : 'running, not ready';
    rows.push([
      component.name,
      state,
      pid && isAlive(pid) ? String(pid) : '-',
      ctx.installed() ? component.version : 'not installed',
    ]);
  }
  const widths = [0, 1, 2, 3].map(i =>
    Math.max(
      ...rows.map(r => r[i].length),
      ['component', 'state', 'pid', 'version'][i].length,
    ),
  );
  const line = r => r.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  process.stdout.write(
    `${line(['component', 'state', 'pid', 'version'])}\n${rows
      .map(line)
      .join('\n')}\n`,
  );
  return rows;
}

/** Connection settings of every component (for tests and tools). */
function stackEnv() {
  return Object.assign(
    {},
    ...components.map(component => component.env(ctxOf(component))),
  );
}

function env(appConfig, json, environment = 'dev', only = undefined) {
  const selected = only
    ? components.filter(c => only.includes(c.name))
    : components;
  if (json) {
    process.stdout.write(`${JSON.stringify(stackEnv(), null, 2)}\n`);
    return;
  }
  if (appConfig) {
    const fragment = {};
    for (const component of selected)
      Object.assign(fragment, component.appConfig?.(ctxOf(component)) ?? {});
    process.stdout.write(
      `${JSON.stringify(
        { lambdaPipelines: { environments: { [environment]: fragment } } },
        null,
        2,
      )}\n`,
    );
    return;
  }
  for (const component of selected) {
    for (const [key, value] of Object.entries(
      component.env(ctxOf(component)),
    )) {
      process.stdout.write(
        `export ${key}='${String(value).replace(/'/g, "'\\''")}'\n`,
      );
    }
  }
}

/** `load`: the load generator against this stack's PostgreSQL or Kafka. */
async function load(args) {
  const { runLoad, parseMix, checkTypes } = await import(
    './loadgen/loadgen.mjs'
  );
  const { parse } = await import('yaml');
  const option = (name, fallback) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : fallback;
  };
  const number = (name, fallback) => {
    const value = Number(option(name, fallback));
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(
        `${name} must be a number above 0; got '${option(name)}'`,
      );
    return value;
  };
  const target = args[0];
  if (!target || target.startsWith('--') || !fs.existsSync(target))
    throw new Error(
      `load needs a platform directory or a pipeline.yaml as its first argument; got '${
        target ?? ''
      }'`,
    );
  const specFile = fs.statSync(target).isDirectory()
    ? `${target}/pipeline.yaml`
    : target;
  const spec = parse(fs.readFileSync(specFile, 'utf8'));
  if (!spec?.spec?.source?.postgres?.tables?.length)
    throw new Error(`${specFile} is not a pipeline spec with source tables`);
  checkTypes(spec);
  const kafka = args.includes('--kafka');
  const planFile = fs.statSync(target).isDirectory()
    ? `${target}/jobs/pipeline.json`
    : undefined;
  if (kafka && (!planFile || !fs.existsSync(planFile)))
    throw new Error(
      '--kafka needs a rendered platform directory (its jobs/pipeline.json names the topics)',
    );
  const e = stackEnv();
  const result = await runLoad({
    spec,
    plan: kafka ? JSON.parse(fs.readFileSync(planFile, 'utf8')) : undefined,
    mode: kafka ? 'kafka' : 'postgres',
    rate: number('--rate', 1000),
    seconds: number('--seconds', 60),
    mix: parseMix(option('--mix', '60,35,5')),
    seed: number('--seed', 1),
    create: args.includes('--create'),
    postgres: {
      host: e.LP_POSTGRES_HOST,
      port: Number(e.LP_POSTGRES_PORT),
      user: e.LP_POSTGRES_USER,
      database: spec.spec.source.postgres.database,
    },
    kafka: { brokers: String(e.LP_KAFKA_BROKERS).split(',') },
    onProgress: p =>
      log(
        `load: ${p.events} events in ${Math.round(p.seconds)} s (${Math.round(
          p.events / p.seconds,
        )}/s)`,
      ),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

process.stdout.on('error', error => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

async function main() {
  const [command, ...args] = process.argv.slice(2);
  switch (command) {
    case 'install':
      for (const component of withDependencies(args)) await install(component);
      break;
    case 'up':
      for (const component of withDependencies(args)) await up(component);
      break;
    case 'down': {
      const targets =
        args.length > 0
          ? args.map(name => withDependencies([name]).pop())
          : [...components];
      for (const component of targets.reverse()) await down(component);
      break;
    }
    case 'status':
      await status();
      break;
    case 'logs': {
      const component = byName.get(args[0]);
      if (!component) usage(2);
      const n = args[1] === '-n' ? Number(args[2]) : 80;
      process.stdout.write(`${tail(ctxOf(component).logFile, n)}\n`);
      break;
    }
    case 'env': {
      const named = args.indexOf('--environment');
      const environment = named >= 0 ? args[named + 1] : 'dev';
      if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(environment ?? '')) {
        throw new Error(
          `--environment needs an environment name such as dev (lowercase letters, digits and '-'); got '${environment}'`,
        );
      }
      const listed = args.indexOf('--components');
      const only =
        listed >= 0 ? String(args[listed + 1] ?? '').split(',') : undefined;
      for (const name of only ?? []) {
        if (!byName.has(name))
          throw new Error(
            `--components lists unknown component '${name}'; known: ${components
              .map(c => c.name)
              .join(', ')}`,
          );
      }
      env(
        args.includes('--app-config'),
        args.includes('--json'),
        environment,
        only,
      );
      break;
    }
    case 'pipeline': {
      const { pipelineCommand } = await import('./pipeline/commands.mjs');
      await pipelineCommand(args);
      break;
    }
    case 'load':
      await load(args);
      break;
    case 'spark-lock': {
      const { writeSparkJarLock } = await import('./spark/lock.mjs');
      await writeSparkJarLock();
      break;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      usage(0);
      break;
    default:
      process.stderr.write(`unknown command '${command}'\n`);
      usage(2);
  }
}

main().catch(error => {
  log(`error: ${error.message}`);
  process.exit(1);
});
