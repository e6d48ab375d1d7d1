import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { componentState, stackCli } from './cliRunner';

/**
 * The stack CLI's own behaviour, on a second, isolated instance of one
 * component (its own state directory and port), the way a second checkout
 * would run it beside the first.
 */
describe('stack CLI', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-stack-cli-'));
  const env = { LP_STACK_DIR: stateDir, LP_STACK_PORT_S3: '59123' };
  const pidOf = () =>
    Number(fs.readFileSync(path.join(stateDir, 'run', 's3.pid'), 'utf8'));
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  afterAll(() => {
    try {
      stackCli(['down', 's3'], env);
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('tells the truth after up, after a kill by hand, and after down', async () => {
    expect(componentState('s3', env)).toBe('stopped');

    stackCli(['up', 's3'], env);
    expect(componentState('s3', env)).toBe('up');
    const pid = pidOf();
    expect((await fetch('http://127.0.0.1:59123/moto-api/')).ok).toBe(true);

    // A second `up` is a no-op: same process.
    stackCli(['up', 's3'], env);
    expect(pidOf()).toBe(pid);

    process.kill(-pid, 'SIGKILL');
    for (let i = 0; i < 50 && alive(pid); i++)
      await new Promise(r => setTimeout(r, 100));
    expect(componentState('s3', env)).toMatch(/^dead/);

    stackCli(['up', 's3'], env);
    expect(componentState('s3', env)).toBe('up');
    const restarted = pidOf();
    expect(restarted).not.toBe(pid);

    stackCli(['down', 's3'], env);
    expect(componentState('s3', env)).toBe('stopped');
    expect(alive(restarted)).toBe(false);
    // Nothing of that instance is left listening or running.
    const processes = execFileSync('ps', ['-eo', 'pid,pgid,args'], {
      encoding: 'utf8',
    });
    expect(
      processes.split('\n').filter(line => line.includes('-p 59123')),
    ).toEqual([]);
  });

  it('fails with the component log when a component cannot start', () => {
    const blocked = { ...env, LP_STACK_PORT_S3: '70000' };
    expect(() => stackCli(['up', 's3'], blocked)).toThrow(
      /LP_STACK_PORT_S3=70000 is not a valid port number/,
    );
  });

  it('prints connection settings as exports and as JSON', () => {
    expect(stackCli(['env'], env)).toContain(
      "export LP_S3_ENDPOINT='http://127.0.0.1:59123'",
    );
    expect(JSON.parse(stackCli(['env', '--json'], env)).LP_S3_ENDPOINT).toBe(
      'http://127.0.0.1:59123',
    );
  });
});
