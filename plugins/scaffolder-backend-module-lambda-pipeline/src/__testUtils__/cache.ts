import { spawnSync, SpawnSyncOptions } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

/**
 * The tool cache shared with `scripts/lib.sh`: `$LP_CACHE`, else
 * `$XDG_CACHE_HOME/lambda-pipelines`, else `~/.cache/lambda-pipelines`.
 */
export function lpCacheDir(): string {
  if (process.env.LP_CACHE) {
    return process.env.LP_CACHE;
  }
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'lambda-pipelines');
}

/** Root of this package (holds `schemas/`). */
export const PACKAGE_ROOT = path.resolve(__dirname, '../..');

/** The vendored upstream schemas (see `schemas/README.md`). */
export const UPSTREAM_SCHEMAS_DIR = path.join(
  PACKAGE_ROOT,
  'schemas',
  'upstream',
);

/** The upstream CRDs the generated platform repository ships (unmodified copies). */
export const SKELETON_CRDS_DIR = path.resolve(
  PACKAGE_ROOT,
  '../../templates/lambda-pipeline/skeleton/pipeline/deploy/crds',
);

/** One progress line on stderr (shown by Jest even when a test passes). */
export function progress(message: string): void {
  process.stderr.write(`[lambda-pipelines test utils] ${message}\n`);
}

/**
 * Makes sure `target` exists: when missing, `build(tmpDir)` fills a temporary
 * sibling directory, which is then renamed into place, so that a crash never
 * leaves a half-written `target` and concurrent runs do not see one either.
 */
export function ensureCachedDir(
  target: string,
  what: string,
  build: (tmpDir: string) => void,
  hint = '',
): string {
  if (fs.existsSync(target)) {
    return target;
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = fs.mkdtempSync(`${target}.tmp-`);
  const started = Date.now();
  progress(
    `${what} is not cached yet: installing into ${target}${
      hint ? ` (${hint})` : ''
    } ...`,
  );
  try {
    build(tmp);
    try {
      fs.renameSync(tmp, target);
    } catch (error) {
      // Another run finished first; its copy is as good as ours.
      if (!fs.existsSync(target)) {
        throw error;
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  progress(
    `${what} installed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return target;
}

/** Runs a command; throws with its output when it cannot start or fails. */
export function run(
  command: string,
  args: string[],
  what: string,
  options: SpawnSyncOptions = {},
): string {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    ...options,
  });
  if (result.error) {
    throw new Error(
      `${what}: could not run '${command}': ${result.error.message}`,
    );
  }
  if (result.status !== 0) {
    throw new Error(
      `${what}: '${command} ${args.join(' ')}' exited with ${
        result.status ?? result.signal
      }:\n${String(result.stderr ?? '').trim()}\n${String(
        result.stdout ?? '',
      ).trim()}`.trim(),
    );
  }
  return String(result.stdout ?? '');
}
