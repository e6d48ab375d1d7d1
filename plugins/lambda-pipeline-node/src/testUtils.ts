/**
 * Test support shared by the Lambda pipelines backend packages: the local
 * real stack (`stack/`), which their integration tests run against.
 *
 * @packageDocumentation
 */
import {
  coreServices,
  createServiceFactory,
  resolvePackagePath,
  SchedulerService,
  SchedulerServiceTaskFunction,
} from '@backstage/backend-plugin-api';
import { execFileSync } from 'child_process';
import snowflake from 'snowflake-sdk';
import type { PipelineEnvironmentConfig } from './environments/config';

/** The stack's CLI: the stack lives in this repository, next to the plugins. */
const CLI = resolvePackagePath(
  '@internal/backstage-plugin-lambda-pipeline-node',
  '../../stack/cli.mjs',
);

/**
 * The absolute path of a module of the stack (for example
 * `loadgen/loadgen.mjs`), for tests and benchmarks that drive it in-process
 * with `await import(...)`.
 */
export function stackModulePath(relative: string): string {
  return resolvePackagePath(
    '@internal/backstage-plugin-lambda-pipeline-node',
    `../../stack/${relative}`,
  );
}

/**
 * Brings up components of the local real stack and what they depend on (a
 * no-op for what is already up; runtimes such as `spark` are installed) and
 * returns its connection settings (`LP_*`).
 */
export function stackUp(components: string[]): Record<string, string> {
  execFileSync(process.execPath, [CLI, 'up', ...components], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 30 * 60_000,
  });
  return JSON.parse(
    execFileSync(process.execPath, [CLI, 'env', '--json'], {
      encoding: 'utf8',
    }),
  );
}

/**
 * The environment `name` as the local stack's settings describe it (what
 * `stack/lp-stack env --app-config` prints), for probe and route tests.
 */
export function stackEnvironment(
  env: Record<string, string>,
  name = 'dev',
): PipelineEnvironmentConfig {
  return {
    name,
    ...(env.LP_POSTGRES_HOST
      ? {
          postgres: {
            host: env.LP_POSTGRES_HOST,
            port: Number(env.LP_POSTGRES_PORT),
            database: env.LP_POSTGRES_SOURCE_DATABASE,
            user: env.LP_POSTGRES_USER,
            ssl: false,
          },
        }
      : {}),
    ...(env.LP_KAFKA_BROKERS
      ? {
          kafka: {
            brokers: env.LP_KAFKA_BROKERS.split(','),
            clientId: 'lambda-pipelines-test',
            ssl: false,
          },
        }
      : {}),
    ...(env.LP_CONNECT_URL ? { connect: { url: env.LP_CONNECT_URL } } : {}),
    ...(env.LP_CLICKHOUSE_URL
      ? {
          clickhouse: {
            url: env.LP_CLICKHOUSE_URL,
            username: env.LP_CLICKHOUSE_USER,
            // Backstage config has no empty strings: no password is no key.
            ...(env.LP_CLICKHOUSE_PASSWORD
              ? { password: env.LP_CLICKHOUSE_PASSWORD }
              : {}),
          },
        }
      : {}),
    ...(env.LP_SNOWFLAKE_ACCESS_URL
      ? {
          snowflake: {
            accessUrl: env.LP_SNOWFLAKE_ACCESS_URL,
            account: env.LP_SNOWFLAKE_ACCOUNT,
            username: env.LP_SNOWFLAKE_USER,
            password: env.LP_SNOWFLAKE_PASSWORD,
            database: env.LP_SNOWFLAKE_DATABASE,
            schema: env.LP_SNOWFLAKE_SCHEMA,
            warehouse: env.LP_SNOWFLAKE_WAREHOUSE,
          },
        }
      : {}),
    ...(env.LP_KUBECONFIG
      ? {
          kubernetes: {
            name: env.LP_KUBE_CONTEXT,
            kubeconfigPath: env.LP_KUBECONFIG,
            context: env.LP_KUBE_CONTEXT,
          },
        }
      : {}),
    ...(env.LP_AIRFLOW_API_URL
      ? {
          airflow: {
            url: env.LP_AIRFLOW_API_URL,
            username: env.LP_AIRFLOW_API_USER,
            password: env.LP_AIRFLOW_API_PASSWORD,
          },
        }
      : {}),
    ...(env.LP_ICEBERG_JDBC_URL && env.LP_S3_ENDPOINT
      ? {
          iceberg: {
            catalog: {
              type: 'jdbc' as const,
              host: env.LP_POSTGRES_HOST,
              port: Number(env.LP_POSTGRES_PORT),
              database: 'iceberg_catalog',
              user: env.LP_POSTGRES_USER,
              ssl: false,
            },
            s3: {
              region: env.LP_S3_REGION,
              endpoint: env.LP_S3_ENDPOINT,
              accessKeyId: env.LP_S3_ACCESS_KEY_ID,
              secretAccessKey: env.LP_S3_SECRET_ACCESS_KEY,
              forcePathStyle: true,
            },
          },
        }
      : {}),
  };
}

/**
 * A scheduler that records the tasks a plugin or module schedules, so a test
 * (or a benchmark) runs them when it wants instead of on their schedule.
 */
export function recordingScheduler() {
  const tasks = new Map<string, SchedulerServiceTaskFunction>();
  const run = async (id: string) => {
    const fn = tasks.get(id);
    if (!fn)
      throw new Error(
        `no task ${id}; scheduled: ${[...tasks.keys()].join(', ') || 'none'}`,
      );
    await fn(new AbortController().signal);
  };
  const record = async (task: {
    id: string;
    fn: SchedulerServiceTaskFunction;
  }) => void tasks.set(task.id, task.fn);
  const factory = createServiceFactory({
    service: coreServices.scheduler,
    deps: {},
    factory: () =>
      ({
        scheduleTask: record,
        triggerTask: run,
        createScheduledTaskRunner: () => ({ run: record }),
        getScheduledTasks: async () => [],
      } as unknown as SchedulerService),
  });
  return { factory, run, has: (id: string) => tasks.has(id) };
}

// OFF: the driver's default logger would write snowflake.log into the working directory.
snowflake.configure({ logLevel: 'OFF' });

/** A session on the stack's Snowflake emulator through the unchanged driver. */
export async function snowflakeSession(env: Record<string, string>) {
  const connection = snowflake.createConnection({
    accessUrl: env.LP_SNOWFLAKE_ACCESS_URL,
    account: env.LP_SNOWFLAKE_ACCOUNT,
    username: env.LP_SNOWFLAKE_USER,
    password: env.LP_SNOWFLAKE_PASSWORD,
    database: env.LP_SNOWFLAKE_DATABASE,
    schema: env.LP_SNOWFLAKE_SCHEMA,
    warehouse: env.LP_SNOWFLAKE_WAREHOUSE,
  });
  await new Promise<void>((resolve, reject) =>
    connection.connect(error => (error ? reject(error) : resolve())),
  );
  const query = (sqlText: string, binds?: snowflake.Binds) =>
    new Promise<any[]>((resolve, reject) =>
      connection.execute({
        sqlText,
        binds,
        complete: (error, _statement, rows) =>
          error
            ? reject(new Error(`${error.message} (statement: ${sqlText})`))
            : resolve(rows ?? []),
      }),
    );
  const close = () =>
    new Promise<void>((resolve, reject) =>
      connection.destroy(error => (error ? reject(error) : resolve())),
    );
  return { query, close };
}
