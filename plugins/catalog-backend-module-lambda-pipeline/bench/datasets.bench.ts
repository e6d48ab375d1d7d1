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
import { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  CatalogService,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import {
  stackEnvironment,
  stackUp,
  recordingScheduler,
  snowflakeSession,
} from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import yaml from 'yaml';
import catalogModule from '../src';
import { DATASETS_TASK_ID } from '../src/module';

/**
 * Benchmark of the dataset catalog, run on demand with
 * `bench/catalog-datasets.sh` (not part of the test suite): 10,000 topics
 * and tables across the four live systems (4,000 Kafka topics, 3,000
 * ClickHouse tables, 2,000 Snowflake tables, 1,000 Iceberg tables), read and
 * ingested into a running catalog (its database in the stack's PostgreSQL).
 *
 * Measured: the time of one refresh (reading every system and handing the
 * entities to the catalog), the time until the catalog has processed all of
 * them (first full ingestion), and the backend's memory. Reference, in the
 * same run: the same entities ingested by the same catalog from a YAML file
 * location, the catalog's own path for entities.
 */

jest.setTimeout(120 * 60_000);

const OUT = process.env.LP_BENCH_OUT;
const COUNTS = {
  kafka: Number(process.env.LP_BENCH_TOPICS ?? 4000),
  clickhouse: Number(process.env.LP_BENCH_CLICKHOUSE ?? 3000),
  snowflake: Number(process.env.LP_BENCH_SNOWFLAKE ?? 2000),
  iceberg: Number(process.env.LP_BENCH_ICEBERG ?? 1000),
};
const TOTAL = Object.values(COUNTS).reduce((a, b) => a + b, 0);
const GROUPS = 10; // databases / schemas / namespaces the tables are spread over
const ENVIRONMENT = 'bench';
const MiB = 2 ** 20;

const report: Record<string, any> = {
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    catalogDatabase: 'PostgreSQL 15 of the stack (same machine)',
  },
  datasets: COUNTS,
};
const log = (message: string) =>
  process.stderr.write(
    `[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );
const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** Samples the process's memory until stopped; returns the peaks. */
function memoryPeaks() {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  const timer = setInterval(sample, 200);
  return () => {
    clearInterval(timer);
    sample();
    return {
      peakRssMiB: Math.round(rss / MiB),
      peakHeapUsedMiB: Math.round(heap / MiB),
    };
  };
}

function memory() {
  (global as any).gc?.();
  const m = process.memoryUsage();
  return {
    rssMiB: Math.round(m.rss / MiB),
    heapUsedMiB: Math.round(m.heapUsed / MiB),
  };
}

/** Logs at warn and above, plus our own summary lines. */
function quietLogger(lines: string[]) {
  const logger = (): LoggerService => ({
    error: m => void lines.push(`error: ${m}`),
    warn: m => void lines.push(`warn: ${m}`),
    info: m =>
      m.startsWith('Pipeline datasets:')
        ? void lines.push(`info: ${m}`)
        : undefined,
    debug: () => undefined,
    child: () => logger(),
  });
  return createServiceFactory({
    service: coreServices.rootLogger,
    deps: {},
    factory: () => logger(),
  });
}

async function until(
  what: string,
  fn: () => Promise<boolean>,
  timeoutMs = 30 * 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 500));
  }
}

describe('bench: datasets in the catalog', () => {
  let env: Record<string, string>;
  let pg: Client;
  const lines: string[] = [];
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-bench-datasets-'));
  const credentials = mockCredentials.service();

  /** A fresh catalog database for each backend (`<prefix>catalog`). */
  async function freshDatabase(prefix: string) {
    await pg.query(`DROP DATABASE IF EXISTS ${prefix}catalog WITH (FORCE)`);
  }

  async function startCatalog(options: {
    prefix: string;
    withModule: boolean;
    locations?: string[];
  }) {
    let catalog: CatalogService | undefined;
    const scheduler = recordingScheduler();
    const grab = createBackendPlugin({
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
    const {
      name: _n,
      kubernetes: _k,
      airflow: _a,
      ...systems
    } = stackEnvironment(env, ENVIRONMENT) as any;
    const backend = await startTestBackend({
      features: [
        catalogPlugin,
        ...(options.withModule ? [catalogModule] : []),
        grab,
        scheduler.factory,
        quietLogger(lines),
        mockServices.database.factory(),
        mockServices.rootConfig.factory({
          data: JSON.parse(
            JSON.stringify({
              backend: {
                database: {
                  client: 'pg',
                  prefix: options.prefix,
                  connection: {
                    host: env.LP_POSTGRES_HOST,
                    port: Number(env.LP_POSTGRES_PORT),
                    user: env.LP_POSTGRES_USER,
                  },
                },
              },
              catalog: {
                rules: [
                  { allow: ['System', 'Component', 'Resource', 'Location'] },
                ],
                locations: (options.locations ?? []).map(target => ({
                  type: 'file',
                  target,
                })),
              },
              lambdaPipelines: {
                environments: { [ENVIRONMENT]: systems },
                catalog: {
                  live: {
                    environments: [ENVIRONMENT],
                    timeoutMs: 600_000,
                    snowflake: { databases: ['LPBENCH'] },
                  },
                },
              },
            }),
          ),
        }),
      ],
    });
    // The catalog is busy ingesting: a failed count is retried, not fatal.
    const count = async () =>
      catalog!
        .queryEntities(
          {
            filter: {
              'metadata.annotations.lambda-pipelines.io/environment':
                ENVIRONMENT,
            },
            limit: 1,
          },
          { credentials },
        )
        .then(r => r.totalItems)
        .catch(() => -1);
    return { backend, catalog: catalog!, scheduler, count };
  }

  beforeAll(async () => {
    env = stackUp(['postgres', 'kafka', 'clickhouse', 'snowflake', 's3']);
    pg = new Client({
      host: env.LP_POSTGRES_HOST,
      port: Number(env.LP_POSTGRES_PORT),
      user: env.LP_POSTGRES_USER,
      database: 'postgres',
    });
    await pg.connect();
  });

  afterAll(async () => {
    for (const prefix of ['lpbench_ours_', 'lpbench_yaml_']) {
      await freshDatabase(prefix).catch(() => undefined);
    }
    await pg?.end();
    // eslint-disable-next-line no-console
    console.log(JSON.stringify(report, null, 2));
    if (OUT) fs.writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  });

  it(`creates ${TOTAL} datasets across Kafka, ClickHouse, Snowflake and Iceberg`, async () => {
    const started = Date.now();
    // Kafka: one-partition topics, in batches.
    const kafka = new Kafka({
      clientId: 'lp-bench',
      brokers: env.LP_KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
      requestTimeout: 120_000,
    });
    const admin = kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const topics = Array.from(
      { length: COUNTS.kafka },
      (_, i) => `lpbench.g${i % GROUPS}.events_${i}`,
    ).filter(t => !existing.has(t));
    for (let i = 0; i < topics.length; i += 250) {
      await admin.createTopics({
        timeout: 120_000,
        waitForLeaders: false,
        topics: topics.slice(i, i + 250).map(topic => ({
          topic,
          numPartitions: 1,
          replicationFactor: 1,
        })),
      });
    }
    // Created topics show up in the metadata a little later.
    await until('every topic in the metadata', async () => {
      const listed = await admin.listTopics();
      return (
        listed.filter(t => t.startsWith('lpbench.')).length >= COUNTS.kafka
      );
    });
    await admin.disconnect();
    log(`kafka: ${COUNTS.kafka} topics (${topics.length} created)`);

    // ClickHouse: MergeTree tables in ten databases.
    const ch = createClient({
      url: env.LP_CLICKHOUSE_URL,
      username: env.LP_CLICKHOUSE_USER,
      password: env.LP_CLICKHOUSE_PASSWORD,
      log: { level: ClickHouseLogLevel.OFF },
    });
    for (let g = 0; g < GROUPS; g++) {
      await ch.command({ query: `CREATE DATABASE IF NOT EXISTS lpbench_${g}` });
    }
    const chTables = Array.from({ length: COUNTS.clickhouse }, (_, i) => i);
    const createTable = async (i: number) =>
      ch.command({
        query: `CREATE TABLE IF NOT EXISTS lpbench_${i % GROUPS}.events_${i}
                (id UInt64, name String, amount Decimal(12, 2), ts DateTime64(3, 'UTC'))
                ENGINE = MergeTree ORDER BY id`,
      });
    for (let i = 0; i < chTables.length; i += 8) {
      await Promise.all(chTables.slice(i, i + 8).map(createTable));
    }
    await ch.close();
    log(`clickhouse: ${COUNTS.clickhouse} tables`);

    // Snowflake (emulator): tables in ten schemas of one database.
    const sf = await snowflakeSession(env);
    const sql = (text: string) => sf.query(text);
    await sql('CREATE DATABASE IF NOT EXISTS LPBENCH');
    for (let g = 0; g < GROUPS; g++)
      await sql(`CREATE SCHEMA IF NOT EXISTS LPBENCH.S${g}`);
    const [{ N: present }] = await sql(
      "SELECT COUNT(*) AS N FROM LPBENCH.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA <> 'INFORMATION_SCHEMA'",
    );
    for (let i = Number(present); i < COUNTS.snowflake; i++) {
      await sql(
        `CREATE TABLE IF NOT EXISTS LPBENCH.S${
          i % GROUPS
        }.EVENTS_${i} (ID NUMBER(19,0) NOT NULL, NAME VARCHAR, AMOUNT NUMBER(12,2), TS TIMESTAMP_NTZ)`,
      );
    }
    await sf.close();
    log(`snowflake: ${COUNTS.snowflake} tables`);

    // Iceberg: JDBC catalog rows and their metadata files on S3. The files
    // follow the format-v2 layout Iceberg writes (the live test reads files
    // the real sink wrote); each points at one snapshot.
    const s3 = new S3Client({
      region: env.LP_S3_REGION,
      endpoint: env.LP_S3_ENDPOINT,
      forcePathStyle: true,
      credentials: {
        accessKeyId: env.LP_S3_ACCESS_KEY_ID,
        secretAccessKey: env.LP_S3_SECRET_ACCESS_KEY,
      },
    });
    const catalogDb = new Client({
      host: env.LP_POSTGRES_HOST,
      port: Number(env.LP_POSTGRES_PORT),
      user: env.LP_POSTGRES_USER,
      database: 'iceberg_catalog',
    });
    await catalogDb.connect();
    await catalogDb.query(`CREATE TABLE IF NOT EXISTS iceberg_tables (
      catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL,
      table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000),
      previous_metadata_location VARCHAR(1000), iceberg_type VARCHAR(5),
      PRIMARY KEY (catalog_name, table_namespace, table_name))`);
    const { rows } = await catalogDb.query(
      "SELECT count(*)::int AS n FROM iceberg_tables WHERE catalog_name = 'lpbench'",
    );
    for (let i = rows[0].n; i < COUNTS.iceberg; i++) {
      const ns = `lpbench_ns${i % GROUPS}`;
      const key = `lpbench/${ns}/events_${i}/metadata/00001-bench.metadata.json`;
      const metadata = {
        'format-version': 2,
        'table-uuid': `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        location: `s3://${env.LP_S3_BUCKET}/lpbench/${ns}/events_${i}`,
        'last-sequence-number': 1,
        'last-updated-ms': 1764547200000,
        'last-column-id': 4,
        'current-schema-id': 0,
        schemas: [
          {
            type: 'struct',
            'schema-id': 0,
            fields: [
              { id: 1, name: 'id', required: true, type: 'long' },
              { id: 2, name: 'name', required: false, type: 'string' },
              {
                id: 3,
                name: 'amount',
                required: false,
                type: 'decimal(12, 2)',
              },
              { id: 4, name: 'ts', required: false, type: 'timestamptz' },
            ],
          },
        ],
        'default-spec-id': 0,
        'partition-specs': [
          {
            'spec-id': 0,
            fields: [
              {
                name: 'ts_day',
                transform: 'day',
                'source-id': 4,
                'field-id': 1000,
              },
            ],
          },
        ],
        'current-snapshot-id': 1,
        snapshots: [
          {
            'sequence-number': 1,
            'snapshot-id': 1,
            'timestamp-ms': 1764547200000,
            summary: {
              operation: 'append',
              'total-records': String(i * 10),
              'total-files-size': String(i * 4096),
              'total-data-files': '1',
            },
            'manifest-list': `s3://${env.LP_S3_BUCKET}/lpbench/${ns}/events_${i}/metadata/snap-1.avro`,
            'schema-id': 0,
          },
        ],
      };
      await s3.send(
        new PutObjectCommand({
          Bucket: env.LP_S3_BUCKET,
          Key: key,
          Body: JSON.stringify(metadata),
        }),
      );
      await catalogDb.query(
        `INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, iceberg_type)
         VALUES ('lpbench', $1, $2, $3, 'TABLE') ON CONFLICT DO NOTHING`,
        [ns, `events_${i}`, `s3://${env.LP_S3_BUCKET}/${key}`],
      );
    }
    await catalogDb.end();
    s3.destroy();
    log(`iceberg: ${COUNTS.iceberg} tables`);
    report.setupSeconds = seconds(Date.now() - started);
  });

  it('ingests them into a running catalog (first full ingestion, memory)', async () => {
    await freshDatabase('lpbench_ours_');
    const before = memory();
    const peaks = memoryPeaks();
    // From backend start, as the reference (which ingests while starting).
    const backendStarted = Date.now();
    const { backend, scheduler, count, catalog } = await startCatalog({
      prefix: 'lpbench_ours_',
      withModule: true,
    });
    try {
      await until('the dataset task', async () =>
        scheduler.has(DATASETS_TASK_ID),
      );
      const started = Date.now();
      await scheduler.run(DATASETS_TASK_ID);
      const refreshMs = Date.now() - started;
      const summary = lines
        .filter(l => l.startsWith('info: Pipeline datasets: 0 pipeline'))
        .pop()!;
      const given = Number(/(\d+) unmanaged dataset/.exec(summary)![1]);
      log(`refresh: ${summary}`);
      expect(given).toBeGreaterThanOrEqual(TOTAL);
      let last = 0;
      await until('the catalog to process every dataset', async () => {
        const n = await count();
        if (n - last >= 1000) {
          log(`catalog: ${n} of ${given} datasets processed`);
          last = n;
        }
        return n >= given;
      });
      const ingestedMs = Date.now() - backendStarted;
      const peak = peaks();
      const after = memory();

      // A second refresh of unchanged systems: what every scheduled run costs.
      const again = Date.now();
      await scheduler.run(DATASETS_TASK_ID);
      const steadyRefreshMs = Date.now() - again;

      report.ours = {
        entities: given,
        refreshSeconds: seconds(refreshMs),
        // Backend start to every dataset processed by the catalog.
        firstFullIngestionSeconds: seconds(ingestedMs),
        steadyRefreshSeconds: seconds(steadyRefreshMs),
        memory: {
          gcExposed: typeof (global as any).gc === 'function',
          before,
          after,
          ...peak,
          heapGrowthMiB: after.heapUsedMiB - before.heapUsedMiB,
        },
      };

      // The same entities, for the reference run: as a YAML file location.
      const { items } = await catalog.getEntities(
        {
          filter: {
            'metadata.annotations.lambda-pipelines.io/environment': ENVIRONMENT,
          },
        },
        { credentials },
      );
      const plain = items.map((e: Entity) => {
        const {
          uid: _u,
          etag: _e,
          annotations = {},
          ...metadata
        } = e.metadata as any;
        const {
          'backstage.io/managed-by-location': _l,
          'backstage.io/managed-by-origin-location': _o,
          ...rest
        } = annotations;
        return {
          apiVersion: e.apiVersion,
          kind: e.kind,
          metadata: { ...metadata, annotations: rest },
          spec: e.spec,
        };
      });
      fs.writeFileSync(
        path.join(workDir, 'datasets.yaml'),
        plain.map(e => yaml.stringify(e)).join('---\n'),
      );
    } finally {
      await backend.stop();
    }
  });

  it('reference: the catalog ingesting the same entities from a YAML file', async () => {
    await freshDatabase('lpbench_yaml_');
    const file = path.join(workDir, 'datasets.yaml');
    const expected = yaml.parseAllDocuments(
      fs.readFileSync(file, 'utf8'),
    ).length;
    const before = memory();
    const peaks = memoryPeaks();
    const started = Date.now();
    const { backend, count } = await startCatalog({
      prefix: 'lpbench_yaml_',
      withModule: false,
      locations: [file],
    });
    try {
      let last = 0;
      await until('the catalog to process the YAML file', async () => {
        const n = await count();
        if (n - last >= 1000) {
          log(`reference: ${n} of ${expected} entities processed`);
          last = n;
        }
        return n >= expected;
      });
      const ingestedMs = Date.now() - started;
      const peak = peaks();
      report.referenceYaml = {
        entities: expected,
        firstFullIngestionSeconds: seconds(ingestedMs),
        memory: { before, after: memory(), ...peak },
      };
      report.ratios = {
        firstFullIngestionVsYaml:
          Math.round(
            (report.ours.firstFullIngestionSeconds /
              report.referenceYaml.firstFullIngestionSeconds) *
              100,
          ) / 100,
      };
    } finally {
      await backend.stop();
    }
  });

  it('removes what it created unless LP_BENCH_KEEP=1', async () => {
    if (process.env.LP_BENCH_KEEP === '1') return;
    const kafka = new Kafka({
      clientId: 'lp-bench',
      brokers: env.LP_KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
      requestTimeout: 120_000,
    });
    const admin = kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter(t =>
      t.startsWith('lpbench.'),
    );
    for (let i = 0; i < mine.length; i += 500) {
      await admin.deleteTopics({
        topics: mine.slice(i, i + 500),
        timeout: 120_000,
      });
    }
    await admin.disconnect();
    const ch = createClient({
      url: env.LP_CLICKHOUSE_URL,
      username: env.LP_CLICKHOUSE_USER,
      password: env.LP_CLICKHOUSE_PASSWORD,
    });
    for (let g = 0; g < GROUPS; g++)
      await ch.command({ query: `DROP DATABASE IF EXISTS lpbench_${g}` });
    await ch.close();
    const sf = await snowflakeSession(env);
    // The emulator has no DROP DATABASE: its schemas go, the empty database stays.
    for (let g = 0; g < GROUPS; g++)
      await sf.query(`DROP SCHEMA IF EXISTS LPBENCH.S${g} CASCADE`);
    await sf.close();
    const catalogDb = new Client({
      host: env.LP_POSTGRES_HOST,
      port: Number(env.LP_POSTGRES_PORT),
      user: env.LP_POSTGRES_USER,
      database: 'iceberg_catalog',
    });
    await catalogDb.connect();
    await catalogDb.query(
      "DELETE FROM iceberg_tables WHERE catalog_name = 'lpbench'",
    );
    await catalogDb.end();
    const s3 = new S3Client({
      region: env.LP_S3_REGION,
      endpoint: env.LP_S3_ENDPOINT,
      forcePathStyle: true,
      credentials: {
        accessKeyId: env.LP_S3_ACCESS_KEY_ID,
        secretAccessKey: env.LP_S3_SECRET_ACCESS_KEY,
      },
    });
    for (;;) {
      const listed = await s3.send(
        new ListObjectsV2Command({
          Bucket: env.LP_S3_BUCKET,
          Prefix: 'lpbench/',
        }),
      );
      const keys = (listed.Contents ?? []).map(o => ({ Key: o.Key! }));
      if (keys.length === 0) break;
      await s3.send(
        new DeleteObjectsCommand({
          Bucket: env.LP_S3_BUCKET,
          Delete: { Objects: keys },
        }),
      );
    }
    s3.destroy();
  });
});
