import fs from 'fs';
import path from 'path';
import yaml from 'yaml';
import { Kafka, logLevel } from 'kafkajs';
import { RenderResult, startRenderBackend } from '../__testUtils__/render';
import { stackUp } from '../__testUtils__/stack';
import { runSparkJob } from '../__testUtils__/sparkJob';
import { snowflakeSession } from '../__testUtils__/snowflake';
import {
  Expected,
  JobsTable,
  changeEvents,
  renderedPlatform,
} from '../__testUtils__/changeEvents';
import { variants } from '../template/formVariants';

jest.setTimeout(20 * 60_000);

/**
 * The rendered lake sink and batch job on their real runtimes: the Apache
 * Iceberg sink in the stack's Kafka Connect writes the change events into
 * Iceberg (JDBC catalog, S3 with SSE-KMS), and the batch job (pyspark 4.0.0,
 * local[2]) loads them into the stack's Snowflake emulator.
 */

const SPECS = [
  'one table, local, JDBC, Iceberg, local DAG repo',
  'several tables, cloud, Glue, Iceberg',
];

const normalize = (text: unknown) =>
  String(text).includes('.')
    ? String(text).replace(/\.?0+$/, '')
    : String(text);

/** Decimal places of a measure column (0 for integers). */
const scaleOf = (table: JobsTable, column: string) =>
  Number(
    /,(\d+)\)/.exec(table.columns.find(c => c.name === column)!.spark)?.[1] ??
      0,
  );

async function waitFor<T>(
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

describe('lake sink + batch job (Iceberg -> Snowflake) on the real stack', () => {
  let env: Record<string, string>;
  const rendered = new Map<string, RenderResult>();

  beforeAll(async () => {
    env = stackUp(['kafka', 'connect', 's3', 'snowflake', 'spark']);
    const backend = await startRenderBackend(
      {},
      {
        lambdaPipelines: {
          publish: { local: { directory: '/tmp/lp-render-repos' } },
        },
      },
    );
    try {
      for (const name of SPECS) {
        rendered.set(name, await backend.render({ ...variants[name] }));
      }
    } finally {
      await backend.stop();
    }
  });

  it.each(SPECS)(
    '%s: the latest row per key in Snowflake, and a re-run changes nothing',
    async specName => {
      const { dir, jobsDir, jobs } = renderedPlatform(rendered.get(specName)!);
      const tables: JobsTable[] = jobs.tables;
      const run = `${Date.now()}`;
      const kafka = new Kafka({
        brokers: [env.LP_KAFKA_BROKERS],
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();

      // The rendered lake sink, pointed at the stack: a JDBC catalog for
      // every spec (the Glue variant's catalog is the only thing swapped),
      // a warehouse and control topic of its own for this run.
      const connectors = yaml
        .parseAllDocuments(
          fs.readFileSync(
            path.join(dir, 'platform/deploy/base/kafka/connectors.yaml'),
            'utf8',
          ),
        )
        .map(d => d.toJSON());
      const sink = connectors.find(
        (c: any) =>
          c?.spec?.class === 'org.apache.iceberg.connect.IcebergSinkConnector',
      );
      expect(sink).toBeDefined();
      const config: Record<string, string> = Object.fromEntries(
        Object.entries(sink.spec.config as Record<string, unknown>)
          .filter(([, v]) => !String(v).includes('${secrets:'))
          .filter(([k]) => !k.startsWith('iceberg.catalog.glue'))
          .map(([k, v]) => [k, String(v)]),
      );
      const controlTopic = `${config['iceberg.control.topic']}-${run}`;
      const topics = [...tables.map(t => t.topic), jobs.kafka.deadLetterTopic];
      const existing = await admin.listTopics();
      const stale = topics.filter(t => existing.includes(t));
      if (stale.length) {
        await admin.deleteTopics({ topics: stale });
        await new Promise(r => setTimeout(r, 2000));
      }
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          ...tables.map(t => ({ topic: t.topic, numPartitions: 3 })),
          { topic: jobs.kafka.deadLetterTopic, numPartitions: 1 },
          { topic: controlTopic, numPartitions: 1 },
        ],
      });
      const connectorName = `${sink.metadata.name}-${run}`;
      Object.assign(config, {
        'connector.class': sink.spec.class,
        'tasks.max': '1',
        'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'iceberg.catalog.catalog-impl': 'org.apache.iceberg.jdbc.JdbcCatalog',
        'iceberg.catalog.uri': env.LP_ICEBERG_JDBC_URL,
        'iceberg.catalog.warehouse': `s3://${env.LP_S3_BUCKET}/tests/${run}/warehouse`,
        'iceberg.catalog.s3.endpoint': env.LP_S3_ENDPOINT,
        'iceberg.catalog.s3.path-style-access': 'true',
        'iceberg.catalog.s3.sse.key': env.LP_S3_KMS_KEY_ID,
        'iceberg.catalog.s3.access-key-id': env.LP_S3_ACCESS_KEY_ID,
        'iceberg.catalog.s3.secret-access-key': env.LP_S3_SECRET_ACCESS_KEY,
        'iceberg.catalog.client.region': env.LP_S3_REGION,
        'iceberg.control.topic': controlTopic,
        'iceberg.control.commit.interval-ms': '3000',
      });
      const put = await fetch(
        `${env.LP_CONNECT_URL}/connectors/${connectorName}/config`,
        {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(config),
        },
      );
      expect({
        status: put.status,
        body: put.ok ? '' : await put.text(),
      }).toEqual({
        status: 201,
        body: '',
      });

      try {
        // Change events, including a row the batch layer cannot read.
        const producer = kafka.producer();
        await producer.connect();
        const lsn = { next: 5_000_000 };
        const expected = new Map<string, Expected>();
        for (const table of tables) {
          const e = changeEvents(table, 300, lsn);
          expected.set(table.topic, e);
          // A NOT NULL column sent as null: the sink stores it (its columns
          // are optional), the batch job must skip it. (A value of the wrong
          // JSON type would stop the sink itself: write errors have no
          // dead-letter queue, apache/iceberg#17542.)
          const nullPoison = e.poison.filter(p => p.value.startsWith('{'))[1];
          await producer.send({
            topic: table.topic,
            messages: [
              ...e.events.slice(0, 150),
              nullPoison,
              ...e.events.slice(150),
            ],
          });
        }
        await producer.disconnect();

        // Wait until the sink has committed everything to Iceberg: its
        // consumer group then sits at the end of every topic.
        await waitFor('the Iceberg sink to commit every event', async () => {
          for (const table of tables) {
            const end = await admin.fetchTopicOffsets(table.topic);
            const [committed] = await admin.fetchOffsets({
              groupId: `connect-${connectorName}`,
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

        // The Snowflake objects from the rendered setup.sql (the tables; the
        // roles, users and warehouse are not emulated).
        const sf = await snowflakeSession(env);
        try {
          const setup = fs.readFileSync(
            path.join(dir, 'platform/sql/snowflake/setup.sql'),
            'utf8',
          );
          const database = jobs.batch.snowflake.database;
          // A fresh start for this run's tables (the emulator cannot drop a database).
          await sf.query(`CREATE DATABASE IF NOT EXISTS ${database}`);
          for (const t of [
            ...tables.flatMap(x => [x.snowflakeTable, x.snowflakeStagingTable]),
            jobs.batch.snowflake.watermarkTable,
          ]) {
            await sf.query(`DROP TABLE IF EXISTS ${t}`);
          }
          for (const statement of setup.split(/;\s*\n/)) {
            const sql = statement.replace(/^\s*--.*$/gm, '').trim();
            if (/^CREATE (DATABASE|SCHEMA|TABLE|TRANSIENT TABLE)/.test(sql)) {
              await sf.query(sql);
            }
          }

          const catalogConf = {
            'spark.sql.catalog.lake': 'org.apache.iceberg.spark.SparkCatalog',
            'spark.sql.catalog.lake.catalog-impl':
              'org.apache.iceberg.jdbc.JdbcCatalog',
            'spark.sql.catalog.lake.uri': env.LP_ICEBERG_JDBC_URL,
            'spark.sql.catalog.lake.warehouse':
              config['iceberg.catalog.warehouse'],
            'spark.sql.catalog.lake.io-impl':
              'org.apache.iceberg.aws.s3.S3FileIO',
            'spark.sql.catalog.lake.s3.endpoint': env.LP_S3_ENDPOINT,
            'spark.sql.catalog.lake.s3.path-style-access': 'true',
            'spark.sql.catalog.lake.client.region': env.LP_S3_REGION,
            'spark.sql.extensions':
              'org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
          };
          const args = [
            '--set',
            `batch.snowflake.url=${env.LP_SNOWFLAKE_ACCESS_URL}`,
            '--set',
            `batch.snowflake.account=${env.LP_SNOWFLAKE_ACCOUNT}`,
            '--set',
            `batch.snowflake.user=${env.LP_SNOWFLAKE_USER}`,
            // The cloud spec's Spark connector needs stages the emulator lacks.
            '--set',
            'batch.snowflake.loader=python-connector',
          ];
          const first = await runSparkJob(
            env,
            jobsDir,
            'batch_job.py',
            args,
            catalogConf,
          );
          expect(first).toContain('"status": "loaded"');

          const state = async () => {
            const out: Record<string, unknown> = {};
            for (const table of tables) {
              const e = expected.get(table.topic)!;
              const t = table.snowflakeTable;
              const [row] = await sf.query(
                `SELECT COUNT(*) AS N, COUNT_IF(_IS_DELETED) AS DELETED, COUNT_IF(NOT _IS_DELETED) AS LIVE FROM ${t}`,
              );
              const sums: Record<string, string> = {};
              for (const m of table.measures) {
                const [s] = await sf.query(
                  // Widened first: the emulator (fakesnow) sums NUMBER(p,s) as a
                  // double; summing NUMBER(38,s) is exact in both.
                  `SELECT TO_VARCHAR(SUM(${m.toUpperCase()}::NUMBER(38, ${scaleOf(
                    table,
                    m,
                  )}))) AS S FROM ${t} WHERE NOT _IS_DELETED`,
                );
                sums[m] = normalize(s.S);
              }
              out[t] = {
                rows: Number(row.N),
                live: Number(row.LIVE),
                deleted: Number(row.DELETED),
                sums,
                expected: {
                  live: e.live,
                  deleted: e.deleted,
                  sums: Object.fromEntries(
                    Object.entries(e.measureSums).map(([k, v]) => [
                      k,
                      normalize(v),
                    ]),
                  ),
                },
              };
            }
            return out;
          };
          const afterFirst = await state();
          for (const [t, s] of Object.entries(afterFirst) as any) {
            expect({
              t,
              live: s.live,
              deleted: s.deleted,
              sums: s.sums,
            }).toEqual({
              t,
              ...s.expected,
            });
          }
          const marks = await sf.query(
            `SELECT TABLE_NAME, ICEBERG_SNAPSHOT_ID FROM ${jobs.batch.snowflake.watermarkTable}`,
          );
          expect(marks).toHaveLength(tables.length);

          // Nothing new in the lake: the second run is a no-op.
          const second = await runSparkJob(
            env,
            jobsDir,
            'batch_job.py',
            args,
            catalogConf,
          );
          expect(second).toContain('"status": "up to date"');
          expect(second).not.toContain('"status": "loaded"');
          expect(await state()).toEqual(afterFirst);
        } finally {
          await sf.close();
        }
      } finally {
        await fetch(`${env.LP_CONNECT_URL}/connectors/${connectorName}`, {
          method: 'DELETE',
        });
        await admin.disconnect();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
