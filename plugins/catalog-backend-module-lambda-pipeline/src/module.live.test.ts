import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  CatalogService,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import {
  EXAMPLE_PIPELINE_SPEC,
  liveDatasetEntityName,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import {
  stackEnvironment,
  stackUp,
  recordingScheduler,
  snowflakeSession,
} from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import yaml from 'yaml';
import catalogModule from './index';
import { DATASETS_TASK_ID } from './module';

jest.setTimeout(10 * 60_000);

/** The scheduler records the module's task, so the test runs a refresh when it wants one. */
function refreshingScheduler() {
  const scheduler = recordingScheduler();
  return { ...scheduler, refresh: () => scheduler.run(DATASETS_TASK_ID) };
}

/** Every line the backend logs, for assertions on what it says (and does not say). */
function capturingLogger() {
  const lines: string[] = [];
  const logger = (): LoggerService => ({
    error: m => void lines.push(`error: ${m}`),
    warn: m => void lines.push(`warn: ${m}`),
    info: m => void lines.push(`info: ${m}`),
    debug: () => undefined,
    child: () => logger(),
  });
  const factory = createServiceFactory({
    service: coreServices.rootLogger,
    deps: {},
    factory: () => logger(),
  });
  return { factory, lines };
}

/** A TCP proxy in front of a real server, to make that server unreachable mid-test. */
async function tcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(client => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: async () => {
      await new Promise(resolve => {
        server.close(resolve);
        sockets.forEach(s => s.destroy());
      });
    },
  };
}

/** Polls until `fn` returns something, for the catalog's processing loop. */
async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 300));
  }
}

const ENVIRONMENT = 'lpcat';

describe('dataset entities from pipeline specs and the live systems (real stack)', () => {
  const run = Date.now().toString(36).slice(-5);
  const pipeline = `lpcat-${run}`;
  const db = `lpcat_${run}`; // ClickHouse database and Iceberg namespace of the pipeline
  const sfSchema = `LPCAT_${run.toUpperCase()}`;
  const otherDb = `lpcat_other_${run}`;
  const cdcTopic = `${pipeline}.public.orders`;
  const icebergControl = `${pipeline}.iceberg-control`;
  const sink = `${pipeline}-lake`;
  const strayTopic = `lpcat-stray-${run}.Events`;
  const weirdTable = `Weird Table (${run})`;

  let env: Record<string, string>;
  let kafka: Kafka;
  let admin: ReturnType<Kafka['admin']>;
  let clickhouse: ReturnType<typeof createClient>;
  let sf: Awaited<ReturnType<typeof snowflakeSession>>;
  let catalogDb: Client;
  let s3: S3Client;
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  let catalog: CatalogService;
  let stopBackend: () => Promise<void>;
  const scheduler = refreshingScheduler();
  const logs = capturingLogger();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lpcat-'));

  const sql = (text: string) => sf.query(text);
  const connectApi = async (method: string, url: string, body?: unknown) =>
    fetch(`${env.LP_CONNECT_URL}${url}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
  const credentials = mockCredentials.service();
  const entity = async (name: string) =>
    (await catalog.getEntityByRef(`resource:default/${name}`, {
      credentials,
    })) ?? undefined;
  /** Refreshes, then waits until the catalog has processed what the refresh gave it. */
  const refreshUntil = async <T>(
    what: string,
    fn: () => Promise<T | undefined>,
  ) => {
    await scheduler.refresh();
    return eventually(what, fn);
  };
  const dataset = (e: Entity) => e.spec!.dataset as any;

  beforeAll(async () => {
    env = stackUp([
      'postgres',
      'kafka',
      'connect',
      'clickhouse',
      'snowflake',
      's3',
    ]);
    kafka = new Kafka({
      clientId: 'lpcat-test',
      brokers: env.LP_KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
    clickhouse = createClient({
      url: env.LP_CLICKHOUSE_URL,
      username: env.LP_CLICKHOUSE_USER,
      password: env.LP_CLICKHOUSE_PASSWORD,
      log: { level: ClickHouseLogLevel.OFF },
    });
    sf = await snowflakeSession(env);
    catalogDb = new Client({
      host: env.LP_POSTGRES_HOST,
      port: Number(env.LP_POSTGRES_PORT),
      user: env.LP_POSTGRES_USER,
      database: 'iceberg_catalog',
    });
    await catalogDb.connect();
    s3 = new S3Client({
      region: env.LP_S3_REGION,
      endpoint: env.LP_S3_ENDPOINT,
      forcePathStyle: true,
      credentials: {
        accessKeyId: env.LP_S3_ACCESS_KEY_ID,
        secretAccessKey: env.LP_S3_SECRET_ACCESS_KEY,
      },
    });

    // What the pipeline's jobs would have created, on the real services.
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: cdcTopic,
          numPartitions: 3,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: '86400000' }],
        },
        { topic: icebergControl, numPartitions: 1, replicationFactor: 1 },
        {
          topic: `${pipeline}-connect-offsets`,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
    await clickhouse.command({ query: `CREATE DATABASE ${db}` });
    await clickhouse.command({
      query: `CREATE TABLE ${db}.orders (order_id Int64, status LowCardinality(String) COMMENT 'order state', amount Decimal(12, 2), updated_at DateTime64(3, 'UTC'), _is_deleted UInt8)
              ENGINE = ReplacingMergeTree ORDER BY order_id`,
    });
    await clickhouse.command({
      query: `INSERT INTO ${db}.orders VALUES (1, 'new', 10.5, now64(), 0), (2, 'paid', 20, now64(), 0)`,
    });
    await clickhouse.command({
      query: `CREATE TABLE ${db}.orders_by_minute (minute DateTime, n UInt64) ENGINE = SummingMergeTree ORDER BY minute`,
    });
    await sql(`CREATE SCHEMA ${sfSchema}`);
    await sql(
      `CREATE TABLE ${sfSchema}.ORDERS (ORDER_ID NUMBER(19,0) NOT NULL, STATUS VARCHAR(32), AMOUNT NUMBER(12,2), UPDATED_AT TIMESTAMP_NTZ)`,
    );
    await sql(
      `INSERT INTO ${sfSchema}.ORDERS VALUES (1, 'new', 10.5, CURRENT_TIMESTAMP()), (2, 'paid', 20, CURRENT_TIMESTAMP()), (3, 'new', 1, CURRENT_TIMESTAMP())`,
    );
    await sql(`CREATE SCHEMA ${sfSchema}_MARTS`);
    await sql(
      `CREATE TABLE ${sfSchema}_MARTS.ORDERS_BY_WINDOW (WINDOW_START_EPOCH NUMBER, ROW_COUNT NUMBER)`,
    );
    // dbt's intermediate model (an incremental table). Its staging views would
    // be listed too on Snowflake, but the emulator's INFORMATION_SCHEMA.TABLES
    // leaves views out.
    await sql(
      `CREATE TABLE ${sfSchema}_MARTS.INT_ORDERS__VERSIONS (ORDER_ID NUMBER, _LSN NUMBER)`,
    );
    // A table the pipeline does not own, with a quoted lower-case name.
    await sql(`CREATE TABLE ${sfSchema}."events" (ID NUMBER)`);

    // The Iceberg table, written by the real Iceberg sink into the JDBC catalog.
    const created = await connectApi('PUT', `/connectors/${sink}/config`, {
      'connector.class': 'org.apache.iceberg.connect.IcebergSinkConnector',
      'tasks.max': '1',
      topics: cdcTopic,
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
      'consumer.override.auto.offset.reset': 'earliest',
      'iceberg.tables': `${db}.orders`,
      'iceberg.tables.auto-create-enabled': 'true',
      'iceberg.control.topic': icebergControl,
      'iceberg.control.commit.interval-ms': '2000',
      'iceberg.catalog': 'lake',
      'iceberg.catalog.catalog-impl': 'org.apache.iceberg.jdbc.JdbcCatalog',
      'iceberg.catalog.uri': env.LP_ICEBERG_JDBC_URL,
      'iceberg.catalog.jdbc.schema-version': 'V1',
      'iceberg.catalog.warehouse': `s3://${env.LP_S3_BUCKET}/lpcat-${run}`,
      'iceberg.catalog.io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
      'iceberg.catalog.s3.endpoint': env.LP_S3_ENDPOINT,
      'iceberg.catalog.s3.path-style-access': 'true',
      'iceberg.catalog.s3.access-key-id': env.LP_S3_ACCESS_KEY_ID,
      'iceberg.catalog.s3.secret-access-key': env.LP_S3_SECRET_ACCESS_KEY,
      'iceberg.catalog.client.region': env.LP_S3_REGION,
    });
    if (created.status !== 201) {
      throw new Error(
        `the Iceberg sink was not created: ${
          created.status
        } ${await created.text()}`,
      );
    }
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: cdcTopic,
      messages: [1, 2, 3, 4].map(id => ({
        key: String(id),
        value: JSON.stringify({
          order_id: id,
          status: 'new',
          amount: id * 1.5,
        }),
      })),
    });
    await producer.disconnect();

    // The pipeline, registered like the template does: catalog-info.yaml next to pipeline.yaml.
    const spec = structuredClone(EXAMPLE_PIPELINE_SPEC) as any;
    spec.metadata.name = pipeline;
    spec.metadata.system = `system:default/${pipeline}`;
    spec.spec.environment = { name: ENVIRONMENT, profile: 'local' };
    spec.spec.snowflake.database = env.LP_SNOWFLAKE_DATABASE;
    spec.spec.snowflake.schema = sfSchema;
    fs.writeFileSync(path.join(workDir, 'pipeline.yaml'), yaml.stringify(spec));
    fs.writeFileSync(
      path.join(workDir, 'catalog-info.yaml'),
      yaml.stringify({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'System',
        metadata: {
          name: pipeline,
          annotations: { 'lambda-pipelines.io/spec': './pipeline.yaml' },
        },
        spec: { owner: 'group:default/data-platform' },
      }),
    );

    proxy = await tcpProxy({
      host: new URL(env.LP_CLICKHOUSE_URL).hostname,
      port: Number(new URL(env.LP_CLICKHOUSE_URL).port),
    });
    const {
      kubernetes: _k,
      airflow: _a,
      name: _n,
      ...systems
    } = stackEnvironment(env, ENVIRONMENT) as any;
    systems.clickhouse.url = proxy.url;

    const grabCatalog = createBackendPlugin({
      pluginId: 'grab-catalog',
      register(reg) {
        reg.registerInit({
          deps: { service: catalogServiceRef },
          async init({ service }) {
            catalog = service;
          },
        });
      },
    });
    const backend = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModule,
        grabCatalog,
        scheduler.factory,
        logs.factory,
        mockServices.rootConfig.factory({
          data: JSON.parse(
            JSON.stringify({
              catalog: {
                rules: [
                  { allow: ['System', 'Component', 'Resource', 'Location'] },
                ],
                locations: [
                  {
                    type: 'file',
                    target: path.join(workDir, 'catalog-info.yaml'),
                  },
                ],
              },
              lambdaPipelines: {
                environments: { [ENVIRONMENT]: systems },
                catalog: {
                  live: {
                    unmanaged: { owner: 'group:default/platform' },
                    timeoutMs: 30_000,
                  },
                },
              },
            }),
          ),
        }),
      ],
    });
    stopBackend = () => backend.stop();

    // The pipeline's System is in the catalog before the first refresh.
    await eventually('the pipeline System', () =>
      catalog
        .getEntityByRef(`system:default/${pipeline}`, { credentials })
        .then(e => e ?? undefined),
    );
    // The sink has committed its first snapshot.
    await eventually(
      'the Iceberg table',
      async () =>
        (
          await catalogDb.query(
            `SELECT 1 FROM iceberg_tables WHERE table_namespace = $1 AND table_name = 'orders' AND metadata_location NOT LIKE '%/00000-%'`,
            [db],
          )
        ).rows[0],
      180_000,
    );
  });

  afterAll(async () => {
    // What went wrong in the backend, for a failing run's report.
    const problems = logs.lines.filter(l => /^(warn|error): /.test(l));
    if (problems.length > 0) {
      process.stderr.write(
        `backend warnings and errors:\n${problems.join('\n')}\n`,
      );
    }
    await stopBackend?.();
    await proxy?.close();
    await connectApi('DELETE', `/connectors/${sink}`).catch(() => undefined);
    await admin
      ?.deleteTopics({
        topics: [
          cdcTopic,
          icebergControl,
          `${pipeline}-connect-offsets`,
          strayTopic,
        ],
      })
      .catch(() => undefined);
    await admin?.disconnect();
    for (const d of [db, otherDb]) {
      await clickhouse
        ?.command({ query: `DROP DATABASE IF EXISTS ${d}` })
        .catch(() => undefined);
    }
    await clickhouse?.close();
    for (const s of [sfSchema, `${sfSchema}_MARTS`]) {
      await sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
    }
    await sf?.close().catch(() => undefined);
    await catalogDb
      ?.query('DELETE FROM iceberg_tables WHERE table_namespace = $1', [db])
      .catch(() => undefined);
    await catalogDb
      ?.query('DELETE FROM iceberg_namespace_properties WHERE namespace = $1', [
        db,
      ])
      .catch(() => undefined);
    await catalogDb?.end();
    for (;;) {
      const listed = await s3
        ?.send(
          new ListObjectsV2Command({
            Bucket: env.LP_S3_BUCKET,
            Prefix: `lpcat-${run}/`,
          }),
        )
        .catch(() => undefined);
      const keys = (listed?.Contents ?? []).map(o => ({ Key: o.Key! }));
      if (keys.length === 0) break;
      await s3.send(
        new DeleteObjectsCommand({
          Bucket: env.LP_S3_BUCKET,
          Delete: { Objects: keys },
        }),
      );
    }
    s3?.destroy();
  });

  it('lists the datasets of a registered pipeline with their lineage as catalog relations', async () => {
    const clickhouseTable = await refreshUntil('the ClickHouse table', () =>
      entity(`${pipeline}-clickhouse-orders`),
    );
    // dependsOn became relations both ways: table -> topic -> source table.
    const topicRef = `resource:default/${pipeline}-topic-${cdcTopic}`;
    expect(clickhouseTable.relations).toEqual(
      expect.arrayContaining([
        { type: 'dependsOn', targetRef: topicRef },
        { type: 'ownedBy', targetRef: 'group:default/data-platform' },
        { type: 'partOf', targetRef: `system:default/${pipeline}` },
      ]),
    );
    const topic = await eventually('the CDC topic', () =>
      entity(`${pipeline}-topic-${cdcTopic}`),
    );
    expect(topic.relations).toEqual(
      expect.arrayContaining([
        {
          type: 'dependsOn',
          targetRef: `resource:default/${pipeline}-postgres-public.orders`,
        },
        {
          type: 'dependencyOf',
          targetRef: stringifyEntityRef(clickhouseTable),
        },
      ]),
    );
    // The whole chain to the marts is there.
    for (const name of [
      `${pipeline}-postgres-public.orders`,
      `${pipeline}-iceberg-orders`,
      `${pipeline}-snowflake-stg_orders`,
      `${pipeline}-snowflake-orders`,
      `${pipeline}-dbt-model-orders`,
      `${pipeline}-dbt-model-orders_by_window`,
      `${pipeline}-topic-${pipeline}.dlq`,
    ]) {
      const e = await eventually(name, () => entity(name));
      expect(e.metadata.annotations!['lambda-pipelines.io/pipeline']).toBe(
        `system:default/${pipeline}`,
      );
      expect(e.metadata.annotations!['backstage.io/managed-by-location']).toBe(
        `file:${path.join(workDir, 'pipeline.yaml')}`,
      );
    }
    const mart = await entity(`${pipeline}-dbt-model-orders_by_window`);
    expect(mart!.relations).toContainEqual({
      type: 'dependsOn',
      targetRef: `resource:default/${pipeline}-snowflake-orders`,
    });
  });

  it('enriches them with what Kafka, ClickHouse, the Snowflake emulator and Iceberg say', async () => {
    const topic = (await entity(`${pipeline}-topic-${cdcTopic}`))!;
    expect(dataset(topic)).toMatchObject({
      system: 'kafka',
      state: 'present',
      partitions: 3,
      replicationFactor: 1,
      config: expect.objectContaining({
        'retention.ms': '86400000',
        'cleanup.policy': 'delete',
      }),
    });
    expect(dataset((await entity(`${pipeline}-clickhouse-orders`))!)).toEqual({
      environment: ENVIRONMENT,
      system: 'clickhouse',
      name: `${db}.orders`,
      state: 'present',
      kind: 'table',
      engine: 'ReplacingMergeTree',
      columns: [
        { name: 'order_id', type: 'Int64', nullable: false },
        {
          name: 'status',
          type: 'LowCardinality(String)',
          nullable: false,
          comment: 'order state',
        },
        { name: 'amount', type: 'Decimal(12, 2)', nullable: false },
        {
          name: 'updated_at',
          type: "DateTime64(3, 'UTC')",
          nullable: false,
        },
        { name: '_is_deleted', type: 'UInt8', nullable: false },
      ],
      rows: 2,
      bytes: expect.any(Number),
      sortingKey: 'order_id',
    });
    expect(dataset((await entity(`${pipeline}-snowflake-orders`))!)).toEqual({
      environment: ENVIRONMENT,
      system: 'snowflake',
      name: `${env.LP_SNOWFLAKE_DATABASE}.${sfSchema}.ORDERS`,
      state: 'present',
      kind: 'table',
      engine: 'BASE TABLE',
      columns: [
        { name: 'ORDER_ID', type: 'NUMBER', nullable: false },
        { name: 'STATUS', type: 'TEXT', nullable: true },
        { name: 'AMOUNT', type: 'NUMBER', nullable: true },
        { name: 'UPDATED_AT', type: 'TIMESTAMP_NTZ', nullable: true },
      ],
      rows: 3,
      bytes: expect.any(Number),
    });
    // The sink may commit the four records in more than one snapshot.
    let iceberg: any;
    await eventually('all four records in the Iceberg snapshot', async () => {
      await scheduler.refresh();
      iceberg = dataset((await entity(`${pipeline}-iceberg-orders`))!);
      return iceberg.rows === 4 ? true : undefined;
    });
    expect(iceberg).toMatchObject({
      system: 'iceberg',
      name: `${db}.orders`,
      state: 'present',
      engine: expect.stringMatching(/^iceberg v[123]$/),
      location: expect.stringMatching(
        new RegExp(
          `^s3://${env.LP_S3_BUCKET}/lpcat-${run}/${db}(\\.db)?/orders$`,
        ),
      ),
      rows: 4,
      bytes: expect.any(Number),
    });
    expect(iceberg.columns.map((c: any) => c.name).sort()).toEqual([
      'amount',
      'order_id',
      'status',
    ]);
    // Not created anywhere: the staging table and the dead-letter topic.
    expect(
      dataset((await entity(`${pipeline}-snowflake-stg_orders`))!).state,
    ).toBe('missing');
    expect(
      dataset((await entity(`${pipeline}-topic-${pipeline}.dlq`))!).state,
    ).toBe('missing');
  });

  it("lists what lives in the pipeline's own spaces as its auxiliary datasets", async () => {
    await scheduler.refresh();
    for (const [system, name] of [
      ['kafka', `${pipeline}-connect-offsets`],
      ['kafka', icebergControl],
      ['clickhouse', `${db}.orders_by_minute`],
      [
        'snowflake',
        `${env.LP_SNOWFLAKE_DATABASE}.${sfSchema}_MARTS.INT_ORDERS__VERSIONS`,
      ],
    ] as const) {
      const e = await eventually(`auxiliary ${system} dataset ${name}`, () =>
        entity(liveDatasetEntityName(pipeline, system, name)),
      );
      expect(e.spec).toMatchObject({
        owner: 'group:default/data-platform',
        system: pipeline,
      });
      expect(e.metadata.labels!['lambda-pipelines.io/layer']).toBe('auxiliary');
    }
  });

  it('lists a new topic and table after a refresh, escaping their names, and drops them after they are dropped', async () => {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: strayTopic, numPartitions: 2, replicationFactor: 1 }],
    });
    await clickhouse.command({ query: `CREATE DATABASE ${otherDb}` });
    await clickhouse.command({
      query: `CREATE TABLE ${otherDb}.\`${weirdTable}\` (id UInt32, note Nullable(String)) ENGINE = MergeTree ORDER BY id`,
    });
    const topicName = liveDatasetEntityName(ENVIRONMENT, 'kafka', strayTopic);
    const tableName = liveDatasetEntityName(
      ENVIRONMENT,
      'clickhouse',
      `${otherDb}.${weirdTable}`,
    );
    const quotedName = liveDatasetEntityName(
      ENVIRONMENT,
      'snowflake',
      `${env.LP_SNOWFLAKE_DATABASE}.${sfSchema}.events`,
    );
    // Case and characters no entity name may hold: hashed, not collapsed.
    expect(topicName).toMatch(
      /^lpcat-topic-lpcat-stray-[a-z0-9]+\.events-[a-z0-9]{6}$/,
    );
    expect(tableName).toMatch(/-[a-z0-9]{6}$/);
    const table = await refreshUntil('the new ClickHouse table', () =>
      entity(tableName),
    );
    expect(table.metadata.labels!['lambda-pipelines.io/managed']).toBe('false');
    expect(table.spec).toMatchObject({
      type: 'clickhouse-table',
      owner: 'group:default/platform',
      dataset: {
        name: `${otherDb}.${weirdTable}`,
        columns: [
          { name: 'id', type: 'UInt32', nullable: false },
          { name: 'note', type: 'Nullable(String)', nullable: true },
        ],
      },
    });
    expect(table.spec!.system).toBeUndefined();
    const topic = await eventually('the new topic', () => entity(topicName));
    expect(dataset(topic)).toMatchObject({ name: strayTopic, partitions: 2 });
    const quoted = await eventually('the quoted Snowflake table', () =>
      entity(quotedName),
    );
    expect(dataset(quoted).name).toBe(
      `${env.LP_SNOWFLAKE_DATABASE}.${sfSchema}.events`,
    );

    await admin.deleteTopics({ topics: [strayTopic] });
    await clickhouse.command({ query: `DROP DATABASE ${otherDb}` });
    await refreshUntil('the dropped topic and table to go', async () =>
      (await entity(tableName)) || (await entity(topicName)) ? undefined : true,
    );
  });

  it("keeps a system's datasets when it cannot be reached, logs which one failed, and still refreshes the others", async () => {
    const auxiliary = liveDatasetEntityName(
      pipeline,
      'clickhouse',
      `${db}.orders_by_minute`,
    );
    await clickhouse.command({
      query: `CREATE DATABASE IF NOT EXISTS ${otherDb}`,
    });
    await clickhouse.command({
      query: `CREATE TABLE ${otherDb}.kept (id UInt32) ENGINE = MergeTree ORDER BY id`,
    });
    const kept = liveDatasetEntityName(
      ENVIRONMENT,
      'clickhouse',
      `${otherDb}.kept`,
    );
    await refreshUntil('an unmanaged ClickHouse table', () => entity(kept));

    await proxy.close();
    const laterTopic = `lpcat-later-${run}`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: laterTopic, numPartitions: 1, replicationFactor: 1 }],
    });
    try {
      // Kafka is still read: a topic created now appears.
      await refreshUntil('a topic created while ClickHouse is down', () =>
        entity(liveDatasetEntityName(ENVIRONMENT, 'kafka', laterTopic)),
      );
      const failure = logs.lines.find(
        l =>
          l.startsWith('warn: ') &&
          l.includes(
            `ClickHouse in environment '${ENVIRONMENT}' could not be read`,
          ),
      );
      expect(failure).toMatch(/ECONNREFUSED|unreachable|connect/i);
      // ClickHouse's datasets are all still there, with what was last read.
      expect(await entity(kept)).toBeDefined();
      expect(await entity(auxiliary)).toBeDefined();
      expect(
        dataset((await entity(`${pipeline}-clickhouse-orders`))!),
      ).toMatchObject({ state: 'present', rows: 2 });
    } finally {
      await admin.deleteTopics({ topics: [laterTopic] }).catch(() => undefined);
    }
  });

  it('never logs a credential', () => {
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const secret of [
      env.LP_SNOWFLAKE_PASSWORD,
      env.LP_S3_SECRET_ACCESS_KEY === 'test'
        ? undefined
        : env.LP_S3_SECRET_ACCESS_KEY,
    ].filter(Boolean)) {
      expect(logs.lines.filter(l => l.includes(secret!))).toEqual([]);
    }
  });
});
