import {
  ClickHouseClient,
  ClickHouseLogLevel,
  createClient,
} from '@clickhouse/client';
import { ClientCache, PipelineEnvironments, withTimeout } from './common';

/** ClickHouse over its HTTP interface (@clickhouse/client). */
export interface ClickHouseProbe {
  /** Runs one read query and returns its rows (JSONEachRow), with bound `{name:Type}` parameters. */
  query<T = Record<string, unknown>>(
    environment: string,
    sql: string,
    params?: Record<string, unknown>,
    options?: { timeoutMs?: number },
  ): Promise<T[]>;
  /** Server version; proves the server answers. */
  ping(environment: string): Promise<string>;
}

export class ClickHouseHttpProbe implements ClickHouseProbe {
  private readonly clients: ClientCache<ClickHouseClient>;

  constructor(
    private readonly environments: PipelineEnvironments,
    private readonly options: { timeoutMs: number },
  ) {
    this.clients = new ClientCache(environment => {
      const settings = this.environments.settings(environment, 'clickhouse');
      return createClient({
        url: settings.url,
        username: settings.username,
        password: settings.password ?? '',
        // Each query's own deadline aborts it (withTimeout below); this is only the ceiling.
        request_timeout: Math.max(options.timeoutMs, 600_000),
        application: 'backstage-lambda-pipelines',
        // Every probe is a read; never keep sessions.
        clickhouse_settings: { readonly: '2' },
        // Failures are reported by the probe itself, not printed.
        log: { level: ClickHouseLogLevel.OFF },
      });
    });
  }

  async query<T>(
    environment: string,
    sql: string,
    params?: Record<string, unknown>,
    options: { timeoutMs?: number } = {},
  ): Promise<T[]> {
    const settings = this.environments.settings(environment, 'clickhouse');
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    return withTimeout(
      'clickhouse',
      `ClickHouse (${environment}) at ${settings.url}`,
      timeoutMs,
      async signal => {
        const client = await this.clients.get(environment);
        const result = await client.query({
          query: sql,
          query_params: params,
          format: 'JSONEachRow',
          abort_signal: signal,
          // The server stops too, not just the client.
          clickhouse_settings: {
            max_execution_time: Math.ceil(timeoutMs / 1000),
          },
        });
        return result.json<T>();
      },
    );
  }

  async ping(environment: string): Promise<string> {
    const [row] = await this.query<{ version: string }>(
      environment,
      'SELECT version() AS version',
    );
    return row.version;
  }

  async close(): Promise<void> {
    await Promise.all((await this.clients.all()).map(c => c.close()));
  }
}
