import { stackModulePath } from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';
import { execFile } from 'child_process';
import fs from 'fs';
import path from 'path';
import { promisify } from 'util';
import yaml from 'yaml';
import { Admin } from 'kafkajs';
import { Client } from 'pg';
import { clickhouse } from './stack';
import { snowflakeSession } from './snowflake';
import { JobsTable } from './changeEvents';

/**
 * Pieces of a rendered pipeline brought up on the local stack: its topics,
 * ClickHouse and Snowflake tables from the rendered DDL, the rendered lake
 * sink in Kafka Connect, and the arguments that point the jobs at the stack.
 */

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 4 * 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

/** Deletes the topics if they exist and creates them anew. */
export async function resetTopics(
  admin: Admin,
  topics: Array<{ topic: string; numPartitions: number }>,
): Promise<void> {
  const existing = await admin.listTopics();
  const stale = topics.map(t => t.topic).filter(t => existing.includes(t));
  if (stale.length) {
    await admin.deleteTopics({ topics: stale });
    await waitFor('deleted topics to go', async () =>
      (await admin.listTopics()).some(t => stale.includes(t))
        ? undefined
        : true,
    );
  }
  await admin.createTopics({ waitForLeaders: true, topics });
}

/** The speed layer's tables from the rendered ClickHouse ConfigMap, on an empty database. */
export async function createClickHouseTables(
  env: Record<string, string>,
  platformDir: string,
  tables: JobsTable[],
): Promise<void> {
  const ddl = /speed_layer\.sql: \|\n([\s\S]*?)(?:\n---|$)/.exec(
    fs.readFileSync(
      path.join(platformDir, 'deploy/base/clickhouse/statefulset.yaml'),
      'utf8',
    ),
  )![1];
  const database = tables[0].clickhouseTable.split('.')[0];
  await clickhouse(env, `DROP DATABASE IF EXISTS ${database}`);
  for (const statement of ddl.replace(/^ {4}/gm, '').split(/;\s*\n/)) {
    const sql = statement.replace(/^\s*--.*$/gm, '').trim();
    if (sql) await clickhouse(env, sql);
  }
}

/**
 * The batch layer's tables from the rendered setup.sql (the roles, users and
 * warehouse are not emulated), after dropping this pipeline's tables.
 */
export async function createSnowflakeTables(
  env: Record<string, string>,
  platformDir: string,
  jobs: any,
): Promise<void> {
  const sf = await snowflakeSession(env);
  try {
    const setup = fs.readFileSync(
      path.join(platformDir, 'sql/snowflake/setup.sql'),
      'utf8',
    );
    // The emulator cannot drop a database: drop this pipeline's tables instead.
    await sf.query(
      `CREATE DATABASE IF NOT EXISTS ${jobs.batch.snowflake.database}`,
    );
    for (const t of [
      ...jobs.tables.flatMap((x: JobsTable) => [
        x.snowflakeTable,
        x.snowflakeStagingTable,
      ]),
      jobs.batch.snowflake.watermarkTable,
      jobs.reconciliation.resultsTable,
    ]) {
      await sf.query(`DROP TABLE IF EXISTS ${t}`);
    }
    for (const statement of setup.split(/;\s*\n/)) {
      const sql = statement.replace(/^\s*--.*$/gm, '').trim();
      if (/^CREATE (DATABASE|SCHEMA|TABLE|TRANSIENT TABLE)/.test(sql)) {
        await sf.query(sql);
      }
    }
  } finally {
    await sf.close();
  }
}

/** Forgets Iceberg tables in the stack's JDBC catalog, so they start empty. */
export async function dropIcebergTables(
  env: Record<string, string>,
  catalogName: string,
  tables: string[],
): Promise<void> {
  const catalog = new Client({
    connectionString: env.LP_ICEBERG_JDBC_URL.replace(
      /^jdbc:postgresql:\/\/([^/]+)\/([^?]+)\?user=(.*)$/,
      'postgres://$3@$1/$2',
    ),
  });
  await catalog.connect();
  try {
    const exists = await catalog.query(
      "SELECT 1 FROM information_schema.tables WHERE table_name = 'iceberg_tables'",
    );
    if (exists.rowCount) {
      await catalog.query(
        "DELETE FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace || '.' || table_name = ANY($2)",
        [catalogName, tables],
      );
    }
  } finally {
    await catalog.end();
  }
}

export type LakeSink = {
  name: string;
  warehouse: string;
  /** Resolves once the sink committed every event now in the CDC topics to Iceberg. */
  caughtUp: () => Promise<void>;
  remove: () => Promise<void>;
};

/**
 * Starts the rendered Apache Iceberg sink in the stack's Kafka Connect,
 * pointed at the stack: a JDBC catalog for every spec (a Glue variant's
 * catalog is the one thing swapped), a warehouse and a control topic of its
 * own for this run.
 */
export async function startLakeSink(
  env: Record<string, string>,
  admin: Admin,
  platformDir: string,
  tables: JobsTable[],
  run: string,
): Promise<LakeSink> {
  const sink = yaml
    .parseAllDocuments(
      fs.readFileSync(
        path.join(platformDir, 'deploy/base/kafka/connectors.yaml'),
        'utf8',
      ),
    )
    .map(d => d.toJSON())
    .find(
      (c: any) =>
        c?.spec?.class === 'org.apache.iceberg.connect.IcebergSinkConnector',
    );
  if (!sink)
    throw new Error('the rendered connectors.yaml has no Iceberg sink');
  const config: Record<string, string> = Object.fromEntries(
    Object.entries(sink.spec.config as Record<string, unknown>)
      .filter(([, v]) => !String(v).includes('${secrets:'))
      .filter(([k]) => !k.startsWith('iceberg.catalog.glue'))
      .map(([k, v]) => [k, String(v)]),
  );
  // The tables start empty (a previous run's rows would be appended to).
  await dropIcebergTables(
    env,
    config['iceberg.catalog'] ?? 'iceberg',
    config['iceberg.tables'].split(','),
  );
  const controlTopic = `${config['iceberg.control.topic']}-${run}`;
  await resetTopics(admin, [{ topic: controlTopic, numPartitions: 1 }]);
  const name = `${sink.metadata.name}-${run}`;
  const warehouse = `s3://${env.LP_S3_BUCKET}/tests/${run}/warehouse`;
  Object.assign(config, {
    'connector.class': sink.spec.class,
    'tasks.max': '1',
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'iceberg.catalog.catalog-impl': 'org.apache.iceberg.jdbc.JdbcCatalog',
    'iceberg.catalog.uri': env.LP_ICEBERG_JDBC_URL,
    'iceberg.catalog.warehouse': warehouse,
    'iceberg.catalog.s3.endpoint': env.LP_S3_ENDPOINT,
    'iceberg.catalog.s3.path-style-access': 'true',
    'iceberg.catalog.s3.sse.key': env.LP_S3_KMS_KEY_ID,
    'iceberg.catalog.s3.access-key-id': env.LP_S3_ACCESS_KEY_ID,
    'iceberg.catalog.s3.secret-access-key': env.LP_S3_SECRET_ACCESS_KEY,
    'iceberg.catalog.client.region': env.LP_S3_REGION,
    'iceberg.control.topic': controlTopic,
    // Short commits so the tests are quick.
    'iceberg.control.commit.interval-ms': '3000',
  });
  const put = await fetch(`${env.LP_CONNECT_URL}/connectors/${name}/config`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(config),
  });
  if (put.status !== 201) {
    throw new Error(
      `creating the lake sink failed: HTTP ${put.status} ${await put.text()}`,
    );
  }
  return {
    name,
    warehouse,
    caughtUp: async () => {
      await waitFor('the Iceberg sink to commit every event', async () => {
        for (const table of tables) {
          const end = await admin.fetchTopicOffsets(table.topic);
          const [committed] = await admin.fetchOffsets({
            groupId: `connect-${name}`,
            topics: [table.topic],
          });
          for (const partition of end) {
            const done = committed.partitions.find(
              p => p.partition === partition.partition,
            );
            if (!done || done.offset !== partition.offset) return undefined;
          }
        }
        return true;
      });
    },
    remove: async () => {
      await fetch(`${env.LP_CONNECT_URL}/connectors/${name}`, {
        method: 'DELETE',
      });
    },
  };
}

/** Spark configuration of the batch job's Iceberg catalog (`lake`), on the stack: the supervisor's own (`pipeline/spark.mjs`). */
export async function icebergCatalogConf(
  env: Record<string, string>,
  warehouse: string,
): Promise<Record<string, string>> {
  const spark = await import(stackModulePath('pipeline/spark.mjs'));
  return spark.icebergCatalogConf(env, warehouse);
}

/** The dbt profile's SNOWFLAKE_* variables for the stack's emulator: the supervisor's own (`pipeline/dbt.mjs`). */
export async function dbtSnowflakeEnv(
  env: Record<string, string>,
  snowflake: {
    role: string;
    warehouse: string;
    database: string;
    schema: string;
  },
): Promise<Record<string, string>> {
  const dbt = await import(stackModulePath('pipeline/dbt.mjs'));
  return dbt.dbtSnowflakeEnv(env, snowflake);
}

/** `--set` arguments pointing the speed job at the stack. */
export function speedJobArgs(
  env: Record<string, string>,
  run: string,
  extra: string[] = [],
): string[] {
  return [
    '--available-now',
    '--set',
    `kafka.bootstrapServers=${env.LP_KAFKA_BROKERS}`,
    '--set',
    `speed.clickhouseUrl=${env.LP_CLICKHOUSE_URL}`,
    '--set',
    `speed.checkpointLocation=s3a://${env.LP_S3_BUCKET}/tests/${run}/checkpoints/speed`,
    ...extra,
  ];
}

/** `--set` arguments pointing the batch job (and reconciliation) at the stack's Snowflake emulator. */
export function snowflakeArgs(env: Record<string, string>): string[] {
  return [
    '--set',
    `batch.snowflake.url=${env.LP_SNOWFLAKE_ACCESS_URL}`,
    '--set',
    `batch.snowflake.account=${env.LP_SNOWFLAKE_ACCOUNT}`,
    '--set',
    `batch.snowflake.user=${env.LP_SNOWFLAKE_USER}`,
  ];
}

/**
 * Runs a module of the rendered DAG repository (`python -m
 * lambda_pipeline.<name>`) with the stack's connections; its last output
 * line is JSON. Exit code 2 means "checked, and found problems".
 */
export async function runDagModule(
  env: Record<string, string>,
  dagsDir: string,
  module: string,
  args: string[],
): Promise<{ code: number; out: any }> {
  const lastJson = (stdout: string) =>
    JSON.parse(stdout.trim().split('\n').pop()!);
  try {
    // dbt's runtime: the DAG modules' Snowflake client (snowflake-connector-python) comes with dbt-snowflake.
    const { stdout } = await promisify(execFile)(
      env.LP_DBT_PYTHON,
      ['-m', `lambda_pipeline.${module}`, ...args],
      {
        cwd: dagsDir,
        env: {
          ...process.env,
          CLICKHOUSE_USER: env.LP_CLICKHOUSE_USER,
          CLICKHOUSE_PASSWORD: env.LP_CLICKHOUSE_PASSWORD ?? '',
          SNOWFLAKE_PASSWORD: env.LP_SNOWFLAKE_PASSWORD,
        },
      },
    );
    return { code: 0, out: lastJson(stdout) };
  } catch (error: any) {
    if (error.code === 2) return { code: 2, out: lastJson(error.stdout) };
    throw new Error(
      `lambda_pipeline.${module} failed: ${error.stderr ?? error}`,
    );
  }
}
