import { stackEnvironment } from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';

export { recordingScheduler } from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';
import { execFileSync } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

export const STACK_CLI = path.resolve(__dirname, '../../../../stack/cli.mjs');

/** Config data of one environment (what `lp-stack env --app-config` describes), without empty values. */
export const environmentConfig = (
  env: Record<string, string>,
  overrides: Record<string, unknown> = {},
) => {
  const {
    name: _name,
    kubernetes: _k,
    airflow: _a,
    ...systems
  } = stackEnvironment(env) as any;
  return JSON.parse(JSON.stringify({ ...systems, ...overrides }));
};

/** A TCP port nothing listens on right now. */
export const freePort = async () => {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
};

/**
 * A ClickHouse of a test's own: the stack's component started in another
 * state directory on a free port, so the test can stop it without
 * disturbing the tests that share the stack's.
 */
export async function ownClickHouse(): Promise<{
  url: string;
  stop: () => void;
}> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-ch-'));
  const port = await freePort();
  const cliEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    LP_STACK_DIR: stateDir,
    LP_STACK_PORT_CLICKHOUSE: String(port),
  };
  execFileSync(process.execPath, [STACK_CLI, 'up', 'clickhouse'], {
    env: cliEnv,
    stdio: 'ignore',
  });
  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      if (stopped) return;
      stopped = true;
      execFileSync(process.execPath, [STACK_CLI, 'down', 'clickhouse'], {
        env: cliEnv,
        stdio: 'ignore',
      });
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
