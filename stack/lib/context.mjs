// Shared plumbing of the local stack: where things live, which ports they
// use, and how processes are run, supervised and probed. Components get a
// context from `componentContext(name)` and never compute paths themselves.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '../..',
);

/** Installs, cached by component and version; shared by every checkout. */
export const CACHE_DIR = path.join(
  process.env.LP_CACHE ??
    path.join(
      process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
      'lambda-pipelines',
    ),
  'stack',
);

/** Runtime state of this checkout: data, pid files, logs. */
export const STATE_DIR =
  process.env.LP_STACK_DIR ?? path.join(REPO_ROOT, '.lp-stack');

export const HOST = '127.0.0.1';

/**
 * Default ports, each overridable with LP_STACK_PORT_<NAME> (for example
 * LP_STACK_PORT_KAFKA=39092) so two checkouts can run side by side.
 */
export const DEFAULT_PORTS = {
  postgres: 55432,
  kafka: 59092,
  kafkaController: 59093,
  connect: 58083,
  clickhouse: 58123,
  s3: 59000,
  snowflake: 58080,
  fakesnow: 58081,
  etcd: 52379,
  etcdPeer: 52380,
  kubeApiserver: 56443,
  kubeControllerManager: 50257,
  kubeScheduler: 50259,
  kwok: 50247,
  kubelet: 50250,
  kubeletHealthz: 50248,
  kubeProxyHealthz: 50256,
  kubeProxyMetrics: 50249,
  registry: 55001,
  airflowApi: 58090,
};

export function port(name) {
  const key = `LP_STACK_PORT_${name
    .replace(/[A-Z]/g, c => `_${c}`)
    .toUpperCase()}`;
  const value = process.env[key] ?? DEFAULT_PORTS[name];
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 65535) {
    throw new Error(`${key}=${value} is not a valid port number (1-65535)`);
  }
  return number;
}

export function log(message) {
  process.stderr.write(
    `[stack ${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );
}

export function ensureDir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
  if (result.error) {
    throw new Error(`${command} could not run: ${result.error.message}`);
  }
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
      .trim()
      .split('\n')
      .slice(-40)
      .join('\n');
    throw new Error(
      `${command} ${args.join(' ')} failed with exit code ${
        result.status
      }:\n${output}`,
    );
  }
  return result.stdout;
}

/**
 * Installs the Debian packages of `binaries` ({ package: path of a binary
 * it brings }) whose binary is missing; `who` names what needs them.
 */
export function installDebianPackages(ctx, who, binaries) {
  const missing = Object.entries(binaries)
    .filter(([, binary]) => !fs.existsSync(binary))
    .map(([name]) => name);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(
      `${who} needs Debian's ${missing.join(
        ', ',
      )}; run: sudo apt-get install -y --no-install-recommends ${missing.join(
        ' ',
      )}`,
    );
  ctx.log(`installing Debian's ${missing.join(', ')}`);
  run('apt-get', ['update', '-qq']);
  run(
    'apt-get',
    ['install', '-y', '-qq', '--no-install-recommends', ...missing],
    {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    },
  );
}

export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Everything a component needs: its directories, ports and process helpers. */
export function componentContext(name, version) {
  const installDir = path.join(CACHE_DIR, name, version);
  const dataDir = path.join(STATE_DIR, 'data', name);
  const runDir = ensureDir(path.join(STATE_DIR, 'run'));
  const logDir = ensureDir(path.join(STATE_DIR, 'logs'));
  const pidFile = path.join(runDir, `${name}.pid`);
  const logFile = path.join(logDir, `${name}.log`);
  return {
    name,
    version,
    installDir,
    dataDir,
    pidFile,
    logFile,
    host: HOST,
    port,
    log: message => log(`${name}: ${message}`),
    /** Marks an install complete; `installed()` is true only after this. */
    markInstalled: () =>
      fs.writeFileSync(
        path.join(installDir, '.installed'),
        new Date().toISOString(),
      ),
    installed: () => fs.existsSync(path.join(installDir, '.installed')),
    readPid() {
      try {
        return Number(fs.readFileSync(pidFile, 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    },
    /**
     * Starts a long-running process in its own process group, detached from
     * the CLI, with stdout/stderr appended to the component's log and its pid
     * recorded, so `down` can stop it and everything it started.
     */
    spawnDaemon(command, args, options = {}) {
      ensureDir(path.dirname(logFile));
      const out = fs.openSync(logFile, 'a');
      fs.writeSync(
        out,
        `\n=== ${new Date().toISOString()} starting: ${command} ${args.join(
          ' ',
        )}\n`,
      );
      const child = spawn(command, args, {
        detached: true,
        stdio: ['ignore', out, out],
        ...options,
        env: { ...process.env, ...options.env },
      });
      child.unref();
      fs.closeSync(out);
      fs.writeFileSync(pidFile, String(child.pid));
      return child.pid;
    },
  };
}

export function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A program of the component's virtualenv (`<installDir>/venv/bin/<name>`). */
export const venvBin = (ctx, name) =>
  path.join(ctx.installDir, 'venv/bin', name);

/**
 * Throws unless the pip-freeze lock `lockFile` pins every one of `pins`
 * (what a generated image installs): the stack runs what the image runs.
 */
export function requireLockPins(lockFile, pins, image) {
  const lines = new Set(
    fs
      .readFileSync(lockFile, 'utf8')
      .split('\n')
      .map(line => line.trim()),
  );
  const missing = pins.filter(pin => !lines.has(pin));
  if (missing.length > 0)
    throw new Error(
      `${path.relative(REPO_ROOT, lockFile)} lacks ${missing.join(
        ', ',
      )}, which ${image} installs: pin the same versions in both`,
    );
}

/**
 * Creates the component's virtualenv and installs pip-freeze locks into it
 * with `--no-deps`, so the install is exactly the locked set.
 * `locks` is a list of `[lockFile, what]`; `what` is logged.
 */
export function installLockedVenv(ctx, locks) {
  run('python3', ['-m', 'venv', path.join(ctx.installDir, 'venv')]);
  for (const [lock, what] of locks) {
    ctx.log(`installing ${what}`);
    run(venvBin(ctx, 'pip'), [
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '-r',
      lock,
    ]);
  }
}
