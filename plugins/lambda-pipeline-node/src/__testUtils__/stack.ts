import { execFileSync } from 'child_process';
import path from 'path';

const CLI = path.resolve(__dirname, '../../../../stack/cli.mjs');

/**
 * Brings up components of the local real stack (a no-op for what is already
 * up) and returns its connection settings (`LP_*`).
 */
export function stackUp(components: string[]): Record<string, string> {
  execFileSync(process.execPath, [CLI, 'up', ...components], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 30 * 60_000,
  });
  return JSON.parse(
    execFileSync(process.execPath, [CLI, 'env', '--json'], {
      encoding: 'utf8',
    }),
  );
}
