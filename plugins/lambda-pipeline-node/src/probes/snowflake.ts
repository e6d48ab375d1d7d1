import type { Connection, ConnectionOptions } from 'snowflake-sdk';
import {
  ClientCache,
  PipelineEnvironments,
  ProbeError,
  withTimeout,
} from './common';

/** Snowflake through the official Node driver (snowflake-sdk). */
export interface SnowflakeProbe {
  /** Runs one statement with `?` binds and returns its rows (column names as Snowflake reports them, upper case). */
  query<T = Record<string, unknown>>(
    environment: string,
    sql: string,
    binds?: Array<string | number | null>,
    options?: { timeoutMs?: number },
  ): Promise<T[]>;
}

type Driver = typeof import('snowflake-sdk');

let driver: Driver | undefined;
function loadDriver(): Driver {
  if (!driver) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    driver = require('snowflake-sdk') as Driver;
    // Its default logger writes snowflake.log into the working directory.
    driver.configure({ logLevel: 'OFF' });
  }
  return driver;
}

/**
 * One connection per environment, opened on first use (key-pair auth with
 * `privateKey`, or a password) and reopened after it breaks.
 */
export class SnowflakeSdkProbe implements SnowflakeProbe {
  private readonly connections: ClientCache<Connection>;

  constructor(
    private readonly environments: PipelineEnvironments,
    private readonly options: { timeoutMs: number },
  ) {
    this.connections = new ClientCache(async environment => {
      const s = this.environments.settings(environment, 'snowflake');
      const connectionOptions: ConnectionOptions = {
        account: s.account,
        username: s.username,
        warehouse: s.warehouse,
        database: s.database,
        schema: s.schema,
        ...(s.role ? { role: s.role } : {}),
        ...(s.accessUrl ? { accessUrl: s.accessUrl } : {}),
        ...(s.privateKey
          ? {
              authenticator: 'SNOWFLAKE_JWT',
              privateKey: s.privateKey,
              ...(s.privateKeyPassphrase
                ? { privateKeyPass: s.privateKeyPassphrase }
                : {}),
            }
          : { password: s.password }),
        timeout: this.options.timeoutMs,
        application: 'backstage-lambda-pipelines',
      } as ConnectionOptions;
      const connection = loadDriver().createConnection(connectionOptions);
      // connect() with a callback: connectAsync() of driver 3.x resolves even when the login fails.
      await new Promise<void>((resolve, reject) =>
        connection.connect(error => (error ? reject(error) : resolve())),
      );
      return connection;
    });
  }

  async query<T>(
    environment: string,
    sql: string,
    binds?: Array<string | number | null>,
    options: { timeoutMs?: number } = {},
  ): Promise<T[]> {
    const settings = this.environments.settings(environment, 'snowflake');
    const what = `Snowflake (${environment}) account ${settings.account}`;
    try {
      return await withTimeout(
        'snowflake',
        what,
        options.timeoutMs ?? this.options.timeoutMs,
        async () => {
          const connection = await this.connections.get(environment);
          return new Promise<T[]>((resolve, reject) =>
            connection.execute({
              sqlText: sql,
              binds: binds as any,
              complete: (error, _statement, rows) =>
                error ? reject(error) : resolve((rows ?? []) as T[]),
            }),
          );
        },
      );
    } catch (error) {
      const e = error as ProbeError;
      // A broken or expired session: reconnect next time.
      if (e.reason !== 'not-configured') {
        this.connections
          .forget(environment)
          ?.then(c => c.destroy(() => undefined))
          .catch(() => undefined);
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      (
        await this.connections.all()
      ).map(c => new Promise<void>(resolve => c.destroy(() => resolve()))),
    );
  }
}
