// Creates what a rendered pipeline needs on the local stack, from its own
// files: the source tables, replication role and publication (the rendered
// PostgreSQL init SQL), the topics (KafkaTopic resources), the speed layer's
// ClickHouse tables, the batch layer's Snowflake tables, and the two
// connectors (Debezium, Iceberg sink) in Kafka Connect with the stack's
// addresses. `fresh` first removes what a previous run left (tables, topics,
// slot, connectors), so counts start at zero.
import { createClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import snowflake from 'snowflake-sdk';
import { statements } from './platform.mjs';

const sleep = ms => new Promise(r => setTimeout(r, ms));

export async function waitFor(what, probe, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await sleep(1000);
  }
  throw new Error(
    `timed out waiting for ${what}${last ? `: ${last.message ?? last}` : ''}`,
  );
}

export function kafkaOf(env) {
  return new Kafka({
    clientId: 'lp-pipeline',
    brokers: String(env.LP_KAFKA_BROKERS).split(','),
    logLevel: logLevel.NOTHING,
  });
}

export function clickhouseOf(env) {
  return createClient({
    url: env.LP_CLICKHOUSE_URL,
    username: env.LP_CLICKHOUSE_USER,
    password: env.LP_CLICKHOUSE_PASSWORD ?? '',
  });
}

export async function snowflakeOf(env) {
  snowflake.configure({ logLevel: 'ERROR' });
  const connection = snowflake.createConnection({
    accessUrl: env.LP_SNOWFLAKE_ACCESS_URL,
    account: env.LP_SNOWFLAKE_ACCOUNT,
    username: env.LP_SNOWFLAKE_USER,
    password: env.LP_SNOWFLAKE_PASSWORD,
    database: env.LP_SNOWFLAKE_DATABASE,
    schema: env.LP_SNOWFLAKE_SCHEMA,
    warehouse: env.LP_SNOWFLAKE_WAREHOUSE,
  });
  await new Promise((resolve, reject) =>
    connection.connect(error => (error ? reject(error) : resolve())),
  );
  return {
    query: (sqlText, binds) =>
      new Promise((resolve, reject) =>
        connection.execute({
          sqlText,
          binds,
          complete: (error, _s, rows) =>
            error
              ? reject(new Error(`${error.message} (statement: ${sqlText})`))
              : resolve(rows ?? []),
        }),
      ),
    close: () =>
      new Promise(resolve => connection.destroy(() => resolve(undefined))),
  };
}

export const sourceConnection = (env, p) => ({
  host: env.LP_POSTGRES_HOST,
  port: Number(env.LP_POSTGRES_PORT),
  user: env.LP_POSTGRES_USER,
  database: p.spec.spec.source.postgres.database,
});

/** The replication role the rendered init SQL creates for this pipeline. */
export const replicationUser = p => `${p.name.replace(/-/g, '_')}_replicator`;

export async function connectApi(env, method, route, body) {
  const res = await fetch(`${env.LP_CONNECT_URL}${route}`, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

/** Names of the connectors of a pipeline in the stack's Connect. */
export const connectorNames = p => ({
  cdc: p.cdc.metadata.name,
  lake: p.lake?.metadata.name,
});

/** The lake's location in the stack's S3 (one prefix per pipeline). */
export const warehouseOf = (env, p) =>
  `s3://${env.LP_S3_BUCKET}/pipelines/${p.name}/warehouse`;

const withoutSecrets = config =>
  Object.fromEntries(
    Object.entries(config ?? {})
      .filter(([, v]) => !String(v).includes('${secrets:'))
      .map(([k, v]) => [k, String(v)]),
  );

/** The rendered Debezium connector, pointed at the stack's PostgreSQL. */
export function cdcConfig(env, p) {
  return {
    ...withoutSecrets(p.cdc.spec.config),
    'connector.class': p.cdc.spec.class,
    'tasks.max': String(p.cdc.spec.tasksMax ?? 1),
    'database.hostname': env.LP_POSTGRES_HOST,
    'database.port': String(env.LP_POSTGRES_PORT),
    'database.user': replicationUser(p),
    // The stack's PostgreSQL trusts local connections; a cluster uses the Secret.
    'database.password': 'local',
    // The worker-level converters of the rendered KafkaConnect.
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
  };
}

/** The rendered Iceberg sink, pointed at the stack's JDBC catalog and S3. */
export function lakeConfig(env, p, options = {}) {
  const config = Object.fromEntries(
    Object.entries(withoutSecrets(p.lake.spec.config)).filter(
      ([k]) => !k.startsWith('iceberg.catalog.glue'),
    ),
  );
  return {
    ...config,
    'connector.class': p.lake.spec.class,
    'tasks.max': String(p.lake.spec.tasksMax ?? 1),
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'iceberg.catalog.catalog-impl': 'org.apache.iceberg.jdbc.JdbcCatalog',
    'iceberg.catalog.uri': env.LP_ICEBERG_JDBC_URL,
    'iceberg.catalog.warehouse': warehouseOf(env, p),
    'iceberg.catalog.s3.endpoint': env.LP_S3_ENDPOINT,
    'iceberg.catalog.s3.path-style-access': 'true',
    'iceberg.catalog.s3.sse.key': env.LP_S3_KMS_KEY_ID,
    'iceberg.catalog.s3.access-key-id': env.LP_S3_ACCESS_KEY_ID,
    'iceberg.catalog.s3.secret-access-key': env.LP_S3_SECRET_ACCESS_KEY,
    'iceberg.catalog.client.region': env.LP_S3_REGION,
    ...(options.lakeCommitMs
      ? { 'iceberg.control.commit.interval-ms': String(options.lakeCommitMs) }
      : {}),
  };
}

async function removeConnectors(env, p, pgClient) {
  for (const name of Object.values(connectorNames(p)).filter(Boolean)) {
    await connectApi(env, 'DELETE', `/connectors/${name}`);
  }
  // The slot is held until Debezium's task is gone.
  const slot = p.cdc.spec.config['slot.name'];
  await waitFor(
    `replication slot ${slot} to be released`,
    async () => {
      const { rows } = await pgClient.query(
        'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      if (rows.length === 0) return true;
      if (rows[0].active) return undefined;
      await pgClient.query('SELECT pg_drop_replication_slot($1)', [slot]);
      return true;
    },
    60_000,
  );
}

/** Source tables, replication role, control tables and publication, from the rendered init SQL. */
async function setUpSource(env, p, client, fresh) {
  const user = replicationUser(p);
  const publication = p.cdc.spec.config['publication.name'];
  if (fresh) {
    await client.query(`DROP PUBLICATION IF EXISTS "${publication}"`);
    for (const t of p.spec.spec.source.postgres.tables) {
      await client.query(`DROP TABLE IF EXISTS "${t.schema}"."${t.table}"`);
    }
  }
  const { rows: roles } = await client.query(
    'SELECT 1 FROM pg_roles WHERE rolname = $1',
    [user],
  );
  const { rows: pubs } = await client.query(
    'SELECT 1 FROM pg_publication WHERE pubname = $1',
    [publication],
  );
  for (const statement of statements(p.sourceSql)) {
    if (/^CREATE ROLE/i.test(statement) && roles.length) continue;
    if (/^CREATE PUBLICATION/i.test(statement) && pubs.length) continue;
    await client.query(
      statement
        .replace(/:"repl_user"/g, `"${user}"`)
        .replace(/:'repl_password'/g, "'local'"),
    );
  }
}

async function setUpTopics(env, p, fresh) {
  const admin = kafkaOf(env).admin();
  await admin.connect();
  try {
    const wanted = p.topics.map(t => t.topic);
    const existing = await admin.listTopics();
    const owned = existing.filter(
      t =>
        wanted.includes(t) ||
        t.startsWith(`${p.name}.`) ||
        t.startsWith(`${p.name}-connect-`),
    );
    if (fresh && owned.length) {
      await admin.deleteTopics({ topics: owned });
      await waitFor('old topics to go', async () =>
        (await admin.listTopics()).some(t => owned.includes(t))
          ? undefined
          : true,
      );
      await sleep(1000);
    }
    const now = await admin.listTopics();
    const missing = p.topics.filter(t => !now.includes(t.topic));
    if (missing.length)
      await admin.createTopics({ waitForLeaders: true, topics: missing });
    if (fresh) {
      for (const group of [
        p.plan.speed.consumerGroup,
        `connect-${connectorNames(p).lake}`,
      ]) {
        await admin.deleteGroups([group]).catch(() => undefined);
      }
    }
  } finally {
    await admin.disconnect();
  }
}

async function setUpClickHouse(env, p, fresh) {
  const ch = clickhouseOf(env);
  try {
    const database = p.plan.tables[0].clickhouseTable.split('.')[0];
    if (fresh)
      await ch.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
    for (const query of statements(p.speedSql)) await ch.command({ query });
  } finally {
    await ch.close();
  }
}

async function setUpSnowflake(env, p, fresh) {
  const sf = await snowflakeOf(env);
  try {
    const { batch, reconciliation, tables } = p.plan;
    await sf.query(`CREATE DATABASE IF NOT EXISTS ${batch.snowflake.database}`);
    if (fresh) {
      // The emulator cannot drop a database: drop this pipeline's tables.
      for (const t of [
        ...tables.flatMap(x => [x.snowflakeTable, x.snowflakeStagingTable]),
        batch.snowflake.watermarkTable,
        reconciliation.resultsTable,
      ]) {
        await sf.query(`DROP TABLE IF EXISTS ${t}`);
      }
    }
    // Roles, users, grants and warehouses are not emulated.
    for (const sql of statements(p.snowflakeSql)) {
      if (/^CREATE (DATABASE|SCHEMA|TABLE|TRANSIENT TABLE)/i.test(sql)) {
        await sf.query(
          sql.replace(
            /^CREATE (TRANSIENT )?TABLE (?!IF)/i,
            'CREATE $1TABLE IF NOT EXISTS ',
          ),
        );
      }
    }
  } finally {
    await sf.close();
  }
}

async function dropIcebergTables(env, p) {
  const url = env.LP_ICEBERG_JDBC_URL.replace(
    /^jdbc:postgresql:\/\/([^/]+)\/([^?]+)\?user=(.*)$/,
    'postgres://$3@$1/$2',
  );
  const catalog = new pg.Client({ connectionString: url });
  await catalog.connect();
  try {
    const { rowCount } = await catalog.query(
      "SELECT 1 FROM information_schema.tables WHERE table_name = 'iceberg_tables'",
    );
    if (rowCount) {
      await catalog.query(
        "DELETE FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace || '.' || table_name = ANY($2)",
        [
          p.lake.spec.config['iceberg.catalog'] ?? 'iceberg',
          String(p.lake.spec.config['iceberg.tables']).split(','),
        ],
      );
    }
  } finally {
    await catalog.end();
  }
}

/**
 * Creates or updates a connector and lets it run. A fresh connector is
 * created stopped and its stored offsets are removed first: Kafka Connect
 * keeps a source connector's offsets by name after the connector is deleted,
 * and Debezium would otherwise resume from a WAL position the new slot does
 * not have.
 */
async function putConnector(env, name, config, fresh) {
  if (fresh) {
    const created = await connectApi(env, 'POST', '/connectors', {
      name,
      config,
      initial_state: 'STOPPED',
    });
    if (created.status >= 300)
      throw new Error(
        `Kafka Connect refused connector ${name}: HTTP ${
          created.status
        } ${JSON.stringify(created.body)}`,
      );
    await waitFor(`connector ${name} stopped`, async () => {
      const s = await connectApi(env, 'GET', `/connectors/${name}/status`);
      return s.body?.connector?.state === 'STOPPED' || undefined;
    });
    const reset = await connectApi(
      env,
      'DELETE',
      `/connectors/${name}/offsets`,
    );
    if (reset.status >= 300)
      throw new Error(
        `resetting the offsets of connector ${name} failed: HTTP ${
          reset.status
        } ${JSON.stringify(reset.body)}`,
      );
  } else {
    const res = await connectApi(
      env,
      'PUT',
      `/connectors/${name}/config`,
      config,
    );
    if (res.status >= 300)
      throw new Error(
        `Kafka Connect refused connector ${name}: HTTP ${
          res.status
        } ${JSON.stringify(res.body)}`,
      );
  }
  // Also undoes `pipeline stop`, which pauses the connectors.
  await connectApi(env, 'PUT', `/connectors/${name}/resume`);
}

export async function connectorsRunning(env, p) {
  for (const name of Object.values(connectorNames(p)).filter(Boolean)) {
    const s = await connectApi(env, 'GET', `/connectors/${name}/status`);
    const tasks = s.body?.tasks ?? [];
    if (
      s.body?.connector?.state !== 'RUNNING' ||
      tasks.length === 0 ||
      tasks.some(t => t.state !== 'RUNNING')
    )
      return false;
  }
  return true;
}

/**
 * Everything the pipeline needs before its jobs start. Returns a summary of
 * what was created, for the log.
 */
export async function setUpPipeline(env, p, { fresh, lakeCommitMs, log }) {
  const client = new pg.Client(sourceConnection(env, p));
  await client.connect();
  try {
    if (fresh) {
      log(
        'removing what a previous run left (connectors, slot, tables, topics)',
      );
      await removeConnectors(env, p, client);
    }
    log('PostgreSQL: source tables, replication role, publication');
    await setUpSource(env, p, client, fresh);
  } finally {
    await client.end();
  }
  log(`Kafka: ${p.topics.map(t => t.topic).join(', ')}`);
  await setUpTopics(env, p, fresh);
  log('ClickHouse: speed layer tables');
  await setUpClickHouse(env, p, fresh);
  log('Snowflake emulator: batch layer tables');
  await setUpSnowflake(env, p, fresh);
  if (p.lake) {
    if (fresh) await dropIcebergTables(env, p);
    log(`Kafka Connect: ${connectorNames(p).lake} (Iceberg sink)`);
    await putConnector(
      env,
      connectorNames(p).lake,
      lakeConfig(env, p, { lakeCommitMs }),
      fresh,
    );
  }
  log(`Kafka Connect: ${connectorNames(p).cdc} (Debezium)`);
  await putConnector(env, connectorNames(p).cdc, cdcConfig(env, p), fresh);
  await waitFor(
    'the connectors to run',
    () => connectorsRunning(env, p),
    120_000,
  );
}

/**
 * Removes everything `setUpPipeline` created: connectors, replication slot,
 * publication, source and control tables, topics, the ClickHouse database,
 * the Snowflake tables and the Iceberg tables' catalog entries.
 */
export async function tearDownPipeline(env, p, { log }) {
  const client = new pg.Client(sourceConnection(env, p));
  await client.connect();
  try {
    log('removing connectors and the replication slot');
    await removeConnectors(env, p, client);
    const publication = p.cdc.spec.config['publication.name'];
    await client.query(`DROP PUBLICATION IF EXISTS "${publication}"`);
    for (const t of p.spec.spec.source.postgres.tables) {
      await client.query(`DROP TABLE IF EXISTS "${t.schema}"."${t.table}"`);
    }
    const control = String(p.cdc.spec.config['signal.data.collection'] ?? '')
      .split('.')
      .slice(-2, -1)[0];
    if (control)
      await client.query(`DROP SCHEMA IF EXISTS "${control}" CASCADE`);
  } finally {
    await client.end();
  }
  log('removing topics');
  const admin = kafkaOf(env).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter(
      t =>
        p.topics.some(x => x.topic === t) ||
        t.startsWith(`${p.name}.`) ||
        t.startsWith(`${p.name}-connect-`),
    );
    if (topics.length) await admin.deleteTopics({ topics });
    await admin
      .deleteGroups([
        p.plan.speed.consumerGroup,
        `connect-${connectorNames(p).lake}`,
      ])
      .catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  log('removing the ClickHouse database and the Snowflake tables');
  const ch = clickhouseOf(env);
  try {
    const database = p.plan.tables[0].clickhouseTable.split('.')[0];
    await ch.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
  } finally {
    await ch.close();
  }
  const sf = await snowflakeOf(env);
  try {
    const { batch, reconciliation, tables } = p.plan;
    for (const t of [
      ...tables.flatMap(x => [x.snowflakeTable, x.snowflakeStagingTable]),
      batch.snowflake.watermarkTable,
      reconciliation.resultsTable,
    ]) {
      await sf.query(`DROP TABLE IF EXISTS ${t}`).catch(() => undefined);
    }
  } finally {
    await sf.close();
  }
  if (p.lake) await dropIcebergTables(env, p);
}
