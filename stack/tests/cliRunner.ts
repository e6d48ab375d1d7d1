import { execFileSync } from 'node:child_process';
import path from 'node:path';

const CLI = path.resolve(__dirname, '..', 'cli.mjs');

/** Runs the stack CLI (same Node) and returns its stdout; throws with output on failure. */
export function stackCli(args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
  });
}

/** The state column of `status` for one component. */
export function componentState(
  component: string,
  env: NodeJS.ProcessEnv = {},
): string {
  const line = stackCli(['status'], env)
    .split('\n')
    .find(row => row.startsWith(`${component} `));
  if (!line) throw new Error(`${component} is not in the status table`);
  return line
    .slice(component.length)
    .trim()
    .split(/\s{2,}/)[0];
}
