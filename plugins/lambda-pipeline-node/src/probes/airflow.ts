import { PipelineEnvironments, ProbeError, withTimeout } from './common';

export type DagRun = {
  runId: string;
  state: string;
  runAfter?: string;
  queuedAt?: string;
  startDate?: string;
  endDate?: string;
};

export type FailedTask = {
  taskId: string;
  tryNumber?: number;
  endDate?: string;
};

export type DagInfo = {
  dagId: string;
  isPaused: boolean;
  hasImportErrors: boolean;
  isStale?: boolean;
};

/** Airflow 3 through its public REST API (`/api/v2`), authenticated with a JWT from `/auth/token`. */
export interface AirflowProbe {
  dag(environment: string, dagId: string): Promise<DagInfo | undefined>;
  /** Newest runs first. */
  dagRuns(
    environment: string,
    dagId: string,
    limit?: number,
  ): Promise<DagRun[]>;
  failedTasks(
    environment: string,
    dagId: string,
    runId: string,
  ): Promise<FailedTask[]>;
}

export class AirflowRestProbe implements AirflowProbe {
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly environments: PipelineEnvironments,
    private readonly options: { timeoutMs: number },
  ) {}

  private async token(
    environment: string,
    signal: AbortSignal,
    fresh = false,
  ): Promise<string> {
    const cached = this.tokens.get(environment);
    if (cached && !fresh) return cached;
    const s = this.environments.settings(environment, 'airflow');
    const response = await fetch(`${s.url}/auth/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify({ username: s.username, password: s.password }),
      signal,
    });
    if (response.status === 401 || response.status === 403) {
      throw new ProbeError(
        'airflow',
        'error',
        `Airflow (${environment}) at ${s.url} refused the credentials of ${s.username} (HTTP ${response.status})`,
      );
    }
    if (!response.ok) {
      throw new ProbeError(
        'airflow',
        'error',
        `Airflow (${environment}) at ${s.url}: token request answered HTTP ${response.status}`,
      );
    }
    const token = ((await response.json()) as { access_token?: string })
      .access_token;
    if (!token)
      throw new ProbeError(
        'airflow',
        'error',
        `Airflow (${environment}) at ${s.url}: no access_token in the token response`,
      );
    this.tokens.set(environment, token);
    return token;
  }

  /** GET of an API path; logs in again once if the token expired. */
  private async get<T>(
    environment: string,
    path: string,
    allow404 = false,
  ): Promise<T | undefined> {
    const s = this.environments.settings(environment, 'airflow');
    return withTimeout(
      'airflow',
      `Airflow (${environment}) at ${s.url}`,
      this.options.timeoutMs,
      async signal => {
        for (const fresh of [false, true]) {
          const token = await this.token(environment, signal, fresh);
          const response = await fetch(`${s.url}${path}`, {
            headers: {
              Authorization: `Bearer ${token}`,
              Accept: 'application/json',
            },
            signal,
          });
          if (response.status === 401 && !fresh) continue;
          if (response.status === 404 && allow404) return undefined;
          if (!response.ok) {
            throw new ProbeError(
              'airflow',
              'error',
              `Airflow (${environment}): GET ${path} answered HTTP ${
                response.status
              } ${(await response.text()).slice(0, 200)}`,
            );
          }
          return (await response.json()) as T;
        }
        return undefined;
      },
    );
  }

  async dag(environment: string, dagId: string): Promise<DagInfo | undefined> {
    const dag = await this.get<any>(
      environment,
      `/api/v2/dags/${encodeURIComponent(dagId)}`,
      true,
    );
    return dag
      ? {
          dagId: dag.dag_id,
          isPaused: Boolean(dag.is_paused),
          hasImportErrors: Boolean(dag.has_import_errors),
          isStale: dag.is_stale,
        }
      : undefined;
  }

  async dagRuns(
    environment: string,
    dagId: string,
    limit = 10,
  ): Promise<DagRun[]> {
    const body = await this.get<any>(
      environment,
      `/api/v2/dags/${encodeURIComponent(
        dagId,
      )}/dagRuns?order_by=-run_after&limit=${Math.min(100, limit)}`,
      true,
    );
    return ((body?.dag_runs ?? []) as any[]).map(r => ({
      runId: r.dag_run_id,
      state: r.state,
      runAfter: r.run_after ?? undefined,
      queuedAt: r.queued_at ?? undefined,
      startDate: r.start_date ?? undefined,
      endDate: r.end_date ?? undefined,
    }));
  }

  async failedTasks(
    environment: string,
    dagId: string,
    runId: string,
  ): Promise<FailedTask[]> {
    const body = await this.get<any>(
      environment,
      `/api/v2/dags/${encodeURIComponent(dagId)}/dagRuns/${encodeURIComponent(
        runId,
      )}/taskInstances?state=failed`,
      true,
    );
    return ((body?.task_instances ?? []) as any[]).map(t => ({
      taskId: t.task_id,
      tryNumber: t.try_number,
      endDate: t.end_date ?? undefined,
    }));
  }
}
