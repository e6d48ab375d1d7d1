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

describe('lp-stack pipeline and env: bad input gets a clear error', () => {
  const failure = (args: string[]) => {
    try {
      stackCli(args);
    } catch (error: any) {
      return String(error.stderr);
    }
    throw new Error(`lp-stack ${args.join(' ')} did not fail`);
  };
  const platform = path.resolve(
    __dirname,
    '../../templates/lambda-pipeline/skeleton/pipeline',
  );

  it('names the missing platform repository and what it must hold', () => {
    expect(failure(['pipeline', 'start'])).toMatch(
      /pipeline start needs the pipeline's platform repository \(a directory holding pipeline.yaml and jobs\/\); got ''/,
    );
    expect(failure(['pipeline', 'start', '/nonexistent/platform'])).toMatch(
      /got '\/nonexistent\/platform'/,
    );
  });

  it('names a bad option and what to write', () => {
    expect(failure(['pipeline', 'start', platform, '--rate', 'fast'])).toMatch(
      /--rate must be a number of at least 0; got 'fast'/,
    );
    expect(
      failure(['pipeline', 'start', platform, '--batch-every', '5']),
    ).toMatch(/--batch-every must be a number of at least 10; got '5'/);
    expect(
      failure(['pipeline', 'start', platform, '--lake-commit-ms']),
    ).toMatch(/--lake-commit-ms needs a value/);
  });

  it('refuses an unknown subcommand or pipeline, listing what exists', () => {
    expect(failure(['pipeline', 'restart'])).toMatch(
      /unknown pipeline command 'restart'; use start <platform dir>, stop <name>/,
    );
    expect(failure(['pipeline', 'stop', 'no-such-pipeline'])).toMatch(
      /no pipeline no-such-pipeline under .*pipelines/,
    );
    expect(failure(['pipeline', 'batch', 'no-such-pipeline'])).toMatch(
      /pipeline no-such-pipeline is not running/,
    );
  });

  it('limits the app-config fragment to the components asked for', () => {
    const fragment = JSON.parse(
      stackCli(['env', '--app-config', '--components', 'postgres,kafka']),
    ).lambdaPipelines.environments.dev;
    expect(Object.keys(fragment).sort()).toEqual(['kafka', 'postgres']);
    expect(
      failure(['env', '--app-config', '--components', 'kafka,oracle']),
    ).toMatch(
      /--components lists unknown component 'oracle'; known: postgres, kafka/,
    );
  });
});
