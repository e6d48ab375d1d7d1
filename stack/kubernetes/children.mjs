// The processes a cluster supervisor (supervise.mjs, node.mjs) runs: each
// with a log file of its own, and any exit of one while the supervisor is
// not stopping reported and handed to `onUnexpectedExit`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

/**
 * Starts `command` as `name`, appending its output to `logFile`; records it
 * in `children`. `detached`: a process group of its own.
 */
export function startChild(
  children,
  { name, command, args, logFile, say, isStopping, onUnexpectedExit },
  { env = {}, detached = false } = {},
) {
  const log = fs.openSync(logFile, 'a');
  fs.writeSync(
    log,
    `\n=== ${new Date().toISOString()} starting ${name} ${args.join(' ')}\n`,
  );
  const child = spawn(command, args, {
    stdio: ['ignore', log, log],
    env: { ...process.env, ...env },
    detached,
  });
  fs.closeSync(log);
  children.set(name, child);
  child.on('exit', (code, signal) => {
    if (isStopping()) return;
    say(`${name} exited (${signal ?? `code ${code}`}); its log: ${logFile}`);
    onUnexpectedExit();
  });
  say(`${name} started (pid ${child.pid})`);
  return child;
}
