import { Pool } from 'pg';
import { ClientCache, PipelineEnvironments, withTimeout } from './common';

/** The source PostgreSQL database (read-only statistics queries). */
export interface PostgresProbe {
  query<T = Record<string, unknown>>(
    environment: string,
    sql: string,
    params?: unknown[],
  ): Promise<T[]>;
}

export class PostgresPoolProbe implements PostgresProbe {
  private readonly pools: ClientCache<Pool>;

  constructor(
    private readonly environments: PipelineEnvironments,
    private readonly options: { timeoutMs: number },
  ) {
    this.pools = new ClientCache(environment => {
      const s = this.environments.settings(environment, 'postgres');
      const pool = new Pool({
        host: s.host,
        port: s.port,
        database: s.database,
        user: s.user,
        password: s.password,
        ssl: s.ssl,
        max: 2,
        connectionTimeoutMillis: options.timeoutMs,
        statement_timeout: options.timeoutMs,
        idleTimeoutMillis: 30_000,
        application_name: 'backstage-lambda-pipelines',
      });
      // An idle client that breaks must not crash the backend.
      pool.on('error', () => undefined);
      return pool;
    });
  }

  async query<T>(
    environment: string,
    sql: string,
    params?: unknown[],
  ): Promise<T[]> {
    const s = this.environments.settings(environment, 'postgres');
    return withTimeout(
      'postgres',
      `PostgreSQL (${environment}) at ${s.host}:${s.port}/${s.database}`,
      this.options.timeoutMs,
      async () => {
        const pool = await this.pools.get(environment);
        const result = await pool.query(sql, params);
        return result.rows as T[];
      },
    );
  }

  async close(): Promise<void> {
    await Promise.all((await this.pools.all()).map(p => p.end()));
  }
}
