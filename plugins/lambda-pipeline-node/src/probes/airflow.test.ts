import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { stackEnvironment, stackUp } from '../testUtils';
import { AirflowRestProbe } from './airflow';
import { PipelineEnvironments, ProbeError } from './common';

jest.setTimeout(10 * 60_000);

/** The Airflow probe against the stack's Airflow 3.2 API server, with a DAG that really ran (and failed). */
describe('AirflowRestProbe (real Airflow 3.2 API server)', () => {
  const dagId = `lp_probe_${Date.now().toString(36)}`;
  let env: Record<string, string>;
  let probe: AirflowRestProbe;

  const airflow = (args: string[]) =>
    execFileSync(env.LP_AIRFLOW_BIN, args, {
      env: { ...process.env, AIRFLOW_HOME: env.LP_AIRFLOW_API_HOME },
      cwd: env.LP_AIRFLOW_API_HOME,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  beforeAll(() => {
    env = stackUp(['airflow-api']);
    probe = new AirflowRestProbe(
      PipelineEnvironments.of([stackEnvironment(env)]),
      { timeoutMs: 20_000 },
    );
    fs.writeFileSync(
      path.join(env.LP_AIRFLOW_API_HOME, 'dags', `${dagId}.py`),
      [
        'from datetime import datetime',
        'from airflow.sdk import dag, task',
        '',
        `@dag(dag_id="${dagId}", schedule=None, start_date=datetime(2026, 1, 1), catchup=False)`,
        'def probe_dag():',
        '    @task',
        '    def extract():',
        '        pass',
        '',
        '    @task',
        '    def load():',
        '        raise RuntimeError("the warehouse refused the load")',
        '',
        '    extract() >> load()',
        '',
        'probe_dag()',
        '',
      ].join('\n'),
    );
    airflow(['dags', 'reserialize']);
    // Runs the DAG in-process and records the run and its task instances; the load task fails.
    try {
      airflow(['dags', 'test', dagId]);
    } catch {
      // `dags test` exits non-zero when a task failed, which is the point.
    }
  });

  afterAll(() => {
    fs.rmSync(path.join(env.LP_AIRFLOW_API_HOME, 'dags', `${dagId}.py`), {
      force: true,
    });
  });

  it('reads the DAG, its newest runs and the failed task of a failed run', async () => {
    expect(await probe.dag('dev', dagId)).toEqual({
      dagId,
      isPaused: false,
      hasImportErrors: false,
      isStale: false,
    });
    const runs = await probe.dagRuns('dev', dagId);
    expect(runs).toHaveLength(1);
    expect(runs[0].state).toBe('failed');
    expect(runs[0].endDate).toBeDefined();
    expect(await probe.failedTasks('dev', dagId, runs[0].runId)).toEqual([
      expect.objectContaining({ taskId: 'load', tryNumber: 1 }),
    ]);
  });

  it('answers undefined for an unknown DAG and names refused credentials', async () => {
    expect(await probe.dag('dev', 'no_such_dag')).toBeUndefined();
    expect(await probe.dagRuns('dev', 'no_such_dag')).toEqual([]);
    const wrong = new AirflowRestProbe(
      PipelineEnvironments.of([
        {
          name: 'dev',
          airflow: {
            url: env.LP_AIRFLOW_API_URL,
            username: 'lp-viewer',
            password: 'wrong',
          },
        },
      ]),
      { timeoutMs: 20_000 },
    );
    const error: ProbeError = await wrong.dagRuns('dev', dagId).catch(e => e);
    expect(error.message).toMatch(
      /^Airflow \(dev\) at http:\/\/127\.0\.0\.1:\d+ refused the credentials of lp-viewer \(HTTP 401\)$/,
    );
  });
});
