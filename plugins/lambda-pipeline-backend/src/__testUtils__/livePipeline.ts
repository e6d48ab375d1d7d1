import {
  EXAMPLE_PIPELINE_SPEC,
  LambdaPipeline,
  parsePipelineSpec,
  planPipeline,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import fs from 'fs';
import { Kafka, logLevel } from 'kafkajs';
import os from 'os';
import path from 'path';
import { Client } from 'pg';
import snowflake from 'snowflake-sdk';
import yaml from 'yaml';
import { monitorTargets, MonitorTargets } from '../monitor/targets';

snowflake.configure({ logLevel: 'OFF' });

/** Epoch milliseconds of an ISO time (UTC when it names no zone), as the batch job binds times. */
const epochMs = (iso: string) =>
  Date.parse(/Z|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);

/** One row of the test table as every layer stores it. */
export type OrderRow = {
  order_id: number;
  customer_id: number;
  status: string;
  amount: string;
  quantity: number;
  updated_at: string;
  lsn: number;
  deleted?: boolean;
  fingerprint: string;
  partition: number;
  offset: number;
};

/**
 * A pipeline of the example spec under a unique name, with what the
 * monitor reads set up on the stack's real services: the source table and
 * its Debezium connector (so the CDC topic is real), the dead-letter topic,
 * the speed table in ClickHouse and the batch table and watermark table in
 * the Snowflake emulator, from the layer-column contract the skeletons
 * render from.
 */
export class LivePipeline {
  readonly targets: MonitorTargets;
  readonly kafka: Kafka;
  readonly specDir: string;
  private readonly pg: Client;
  private sf?: snowflake.Connection;

  private constructor(
    readonly env: Record<string, string>,
    readonly spec: LambdaPipeline,
  ) {
    this.targets = monitorTargets(spec);
    this.kafka = new Kafka({
      clientId: 'lp-live-test',
      brokers: env.LP_KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    this.pg = new Client({
      host: env.LP_POSTGRES_HOST,
      port: Number(env.LP_POSTGRES_PORT),
      user: env.LP_POSTGRES_USER,
      database: env.LP_POSTGRES_SOURCE_DATABASE,
    });
    this.specDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-live-'));
  }

  /** The spec of a pipeline `name` (environment `dev`, source table `public.<name>_orders`). */
  static specFor(name: string): LambdaPipeline {
    const example = structuredClone(EXAMPLE_PIPELINE_SPEC) as any;
    example.metadata.name = name;
    example.metadata.system = `system:default/${name}`;
    example.spec.source.postgres.tables[0].table = `${name.replace(
      /-/g,
      '_',
    )}_orders`;
    example.spec.snowflake.database = 'LAMBDA_PIPELINES';
    example.spec.snowflake.schema = `T_${name
      .replace(/-/g, '_')
      .toUpperCase()}`;
    // Samples every few seconds in tests; a small target keeps the thresholds meaningful.
    example.spec.throughput = { targetEventsPerSecond: 1000 };
    return parsePipelineSpec(example);
  }

  static async start(
    env: Record<string, string>,
    name: string,
    options: { connector?: 'running' | 'failing' } = {},
  ) {
    const live = new LivePipeline(env, LivePipeline.specFor(name));
    await live.setUp(options.connector ?? 'running');
    return live;
  }

  get table() {
    return this.targets.datasets[0];
  }

  get sourceTable() {
    return this.table.source;
  }

  /** A catalog entity pointing at the spec file. */
  entity() {
    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'System',
      metadata: {
        name: this.spec.metadata.name,
        namespace: 'default',
        annotations: {
          'backstage.io/managed-by-location': `file:${path.join(
            this.specDir,
            'catalog-info.yaml',
          )}`,
          'lambda-pipelines.io/spec': './pipeline.yaml',
        },
      },
      spec: { owner: 'group:default/data-platform' },
    };
  }

  async connect(path_: string, method = 'GET', body?: unknown) {
    const response = await fetch(`${this.env.LP_CONNECT_URL}${path_}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? JSON.parse(text) : undefined,
    };
  }

  clickhouse(sql: string, params?: Record<string, unknown>) {
    const client = createClient({
      url: this.env.LP_CLICKHOUSE_URL,
      username: this.env.LP_CLICKHOUSE_USER,
      password: this.env.LP_CLICKHOUSE_PASSWORD ?? '',
      log: { level: ClickHouseLogLevel.OFF },
    });
    return client
      .command({ query: sql, query_params: params })
      .finally(() => client.close());
  }

  async snowflake(sql: string, binds?: any[]): Promise<any[]> {
    if (!this.sf) {
      const connection = snowflake.createConnection({
        accessUrl: this.env.LP_SNOWFLAKE_ACCESS_URL,
        account: this.env.LP_SNOWFLAKE_ACCOUNT,
        username: this.env.LP_SNOWFLAKE_USER,
        password: this.env.LP_SNOWFLAKE_PASSWORD,
        database: this.env.LP_SNOWFLAKE_DATABASE,
        schema: this.env.LP_SNOWFLAKE_SCHEMA,
        warehouse: this.env.LP_SNOWFLAKE_WAREHOUSE,
      });
      await new Promise<void>((resolve, reject) =>
        connection.connect(e => (e ? reject(e) : resolve())),
      );
      this.sf = connection;
    }
    return new Promise((resolve, reject) =>
      this.sf!.execute({
        sqlText: sql,
        binds,
        complete: (e, _s, rows) => (e ? reject(e) : resolve(rows ?? [])),
      }),
    );
  }

  private async setUp(connector: 'running' | 'failing') {
    const plan = planPipeline(this.spec);
    const t = this.targets;
    fs.writeFileSync(
      path.join(this.specDir, 'pipeline.yaml'),
      yaml.stringify(this.spec),
    );
    await this.pg.connect();
    const [schema, table] = this.sourceTable.split('.');
    await this.pg.query(
      `create table if not exists ${schema}.${table} (order_id bigint primary key, customer_id bigint not null,
         status varchar(32), amount numeric(12,2), quantity integer, updated_at timestamptz not null)`,
    );
    await this.pg.query(`alter table ${schema}.${table} replica identity full`);
    const admin = this.kafka.admin();
    await admin.connect();
    // As the platform's KafkaTopics would: the CDC topic (3 partitions) and the dead-letter topic.
    await admin.createTopics({
      topics: [
        ...t.cdcTopics.map(topic => ({ topic, numPartitions: 3 })),
        { topic: t.deadLetterTopic, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const created = await this.connect(
      `/connectors/${t.cdcConnector}/config`,
      'PUT',
      {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        'tasks.max': '1',
        'plugin.name': 'pgoutput',
        'database.hostname': this.env.LP_POSTGRES_HOST,
        'database.port': this.env.LP_POSTGRES_PORT,
        'database.user': this.env.LP_POSTGRES_USER,
        'database.dbname': this.env.LP_POSTGRES_SOURCE_DATABASE,
        'topic.prefix': t.pipeline,
        'slot.name': t.replicationSlot,
        'publication.name': plan.names.publication,
        // A failing connector: no publication and no permission to create one, so its task fails at start.
        'publication.autocreate.mode':
          connector === 'failing' ? 'disabled' : 'filtered',
        'table.include.list': this.sourceTable,
        'snapshot.mode': 'no_data',
        'decimal.handling.mode': 'string',
      },
    );
    if (created.status !== 201)
      throw new Error(
        `connector ${t.cdcConnector}: HTTP ${created.status} ${JSON.stringify(
          created.body,
        )}`,
      );

    const columns = plan.datasets[0].columns.map(
      c =>
        `\`${c.name}\` ${
          c.nullable ? `Nullable(${c.clickhouse})` : c.clickhouse
        }`,
    );
    const system = plan.layerColumns.speed.map(
      c => `\`${c.name}\` ${c.type}${c.default ? ` DEFAULT ${c.default}` : ''}`,
    );
    await this.clickhouse(
      `CREATE DATABASE IF NOT EXISTS ${plan.names.clickhouseDatabase}`,
    );
    await this.clickhouse(
      `CREATE TABLE IF NOT EXISTS ${t.datasets[0].clickhouseTable} (${[
        ...columns,
        ...system,
      ].join(', ')},
         INDEX ${
           plan.layerColumns.speedIngestedAtIndex
         } _ingested_at TYPE minmax GRANULARITY 1)
       ENGINE = ReplacingMergeTree(_lsn, _is_deleted) ORDER BY (order_id)`,
    );
    const sfColumns = plan.datasets[0].columns.map(
      c =>
        `${c.name.toUpperCase()} ${c.snowflake}${
          c.nullable ? '' : ' NOT NULL'
        }`,
    );
    const sfSystem = plan.layerColumns.batch.map(
      c => `${c.name} ${c.type}${c.default ? ` DEFAULT ${c.default}` : ''}`,
    );
    const sf = this.spec.spec.snowflake;
    await this.snowflake(
      `CREATE SCHEMA IF NOT EXISTS ${sf.database}.${sf.schema}`,
    );
    await this.snowflake(
      `CREATE TABLE IF NOT EXISTS ${t.datasets[0].snowflakeTable} (${[
        ...sfColumns,
        ...sfSystem,
      ].join(', ')})`,
    );
    await this.snowflake(
      `CREATE TABLE IF NOT EXISTS ${t.watermarkTable} (TABLE_NAME VARCHAR NOT NULL, ICEBERG_SNAPSHOT_ID NUMBER(20, 0) NOT NULL,
         KAFKA_OFFSETS VARIANT NOT NULL, EVENT_TIME_COMPLETE_UP_TO TIMESTAMP_TZ(3), LOADED_AT TIMESTAMP_TZ(3) DEFAULT CURRENT_TIMESTAMP())`,
    );
    if (connector === 'running') await this.slotActive();
  }

  /**
   * Waits until Debezium holds its replication slot. With `snapshot.mode:
   * no_data` only changes committed after the slot exists are captured, and
   * PostgreSQL creates a slot only once the transactions running at that
   * moment have ended, which on a busy shared stack can take a while.
   */
  private async slotActive(timeoutMs = 180_000): Promise<void> {
    const t = this.targets;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await this.pg.query(
        'select active from pg_replication_slots where slot_name = $1',
        [t.replicationSlot],
      );
      if (rows[0]?.active) return;
      await new Promise(r => setTimeout(r, 500));
    }
    const status = await this.connect(
      `/connectors/${t.cdcConnector}/status`,
    ).catch(e => ({ body: String(e) }));
    throw new Error(
      `Debezium did not take its replication slot ${t.replicationSlot} within ${
        timeoutMs / 1000
      } s; connector status: ${JSON.stringify(status.body).slice(0, 2000)}`,
    );
  }

  /** Inserts rows into the source table (Debezium turns them into CDC events). */
  async insertSource(count: number, startId: number): Promise<void> {
    const [schema, table] = this.sourceTable.split('.');
    await this.pg.query(
      `insert into ${schema}.${table} select g, g % 97, 'NEW', (g % 1000) / 4.0, g % 7, now()
         from generate_series($1::bigint, $2::bigint) g`,
      [startId, startId + count - 1],
    );
  }

  /** Writes rows into the speed table as the speed job would. */
  async writeSpeed(rows: OrderRow[]): Promise<void> {
    const values = rows
      .map(
        r =>
          `(${r.order_id}, ${r.customer_id}, '${r.status}', ${r.amount}, ${r.quantity}, toDateTime64('${r.updated_at}', 6, 'UTC'), ` +
          `${r.lsn}, '${r.deleted ? 'd' : 'u'}', ${
            r.deleted ? 1 : 0
          }, toDateTime64('${r.updated_at}', 3, 'UTC'), ${r.partition}, ${
            r.offset
          }, ${r.fingerprint})`,
      )
      .join(', ');
    await this.clickhouse(
      `INSERT INTO ${this.table.clickhouseTable} (order_id, customer_id, status, amount, quantity, updated_at,
         _lsn, _op, _is_deleted, _source_ts, _kafka_partition, _kafka_offset, _fingerprint) VALUES ${values}`,
    );
  }

  /** Writes rows into the batch table and records a watermark, as the batch job would. */
  async writeBatch(
    rows: OrderRow[],
    completeUpTo: string,
    offsets: Record<string, Record<string, number>>,
  ): Promise<void> {
    for (const r of rows) {
      await this.snowflake(
        `INSERT INTO ${this.table.snowflakeTable} (ORDER_ID, CUSTOMER_ID, STATUS, AMOUNT, QUANTITY, UPDATED_AT, _LSN, _OP, _IS_DELETED, _SOURCE_TS, _KAFKA_PARTITION, _KAFKA_OFFSET, _FINGERPRINT)
         VALUES (?, ?, ?, ?, ?, TO_TIMESTAMP_TZ(?, 3), ?, ?, ?, TO_TIMESTAMP_TZ(?, 3), ?, ?, ?)`,
        [
          r.order_id,
          r.customer_id,
          r.status,
          r.amount,
          r.quantity,
          r.updated_at,
          r.lsn,
          r.deleted ? 'd' : 'u',
          Boolean(r.deleted),
          r.updated_at,
          r.partition,
          r.offset,
          r.fingerprint,
        ],
      );
    }
    await this.snowflake(
      `INSERT INTO ${this.targets.watermarkTable} (TABLE_NAME, ICEBERG_SNAPSHOT_ID, KAFKA_OFFSETS, EVENT_TIME_COMPLETE_UP_TO)
       SELECT ?, ?, PARSE_JSON(?), TO_TIMESTAMP_TZ(?, 3)`,
      [
        this.sourceTable,
        Date.now(),
        JSON.stringify(offsets),
        epochMs(completeUpTo),
      ],
    );
  }

  /** Produces `count` messages to a topic, spread evenly over `seconds` (a paced load). */
  async produce(
    topic: string,
    count: number,
    seconds = 0,
    value = () => '{}',
  ): Promise<void> {
    const producer = this.kafka.producer();
    await producer.connect();
    const ticks = Math.max(1, Math.round(seconds * 10));
    const started = Date.now();
    for (let tick = 0; tick < ticks; tick++) {
      const n =
        Math.floor(((tick + 1) * count) / ticks) -
        Math.floor((tick * count) / ticks);
      if (n > 0)
        await producer.send({
          topic,
          messages: Array.from({ length: n }, () => ({ value: value() })),
        });
      const wait = started + ((tick + 1) * seconds * 1000) / ticks - Date.now();
      if (wait > 0) await new Promise(r => setTimeout(r, wait));
    }
    await producer.disconnect();
  }

  async stop(): Promise<void> {
    const t = this.targets;
    await this.connect(`/connectors/${t.cdcConnector}`, 'DELETE').catch(
      () => undefined,
    );
    // The slot can be dropped once the connector's task let go of it.
    for (let i = 0; i < 60; i++) {
      const { rows } = await this.pg.query(
        'select active from pg_replication_slots where slot_name = $1',
        [t.replicationSlot],
      );
      if (rows.length === 0) break;
      if (!rows[0].active) {
        await this.pg
          .query('select pg_drop_replication_slot($1)', [t.replicationSlot])
          .catch(() => undefined);
        break;
      }
      await new Promise(r => setTimeout(r, 500));
    }
    await this.pg
      .query(
        `drop publication if exists ${
          planPipeline(this.spec).names.publication
        }`,
      )
      .catch(() => undefined);
    await this.pg
      .query(`drop table if exists ${this.sourceTable}`)
      .catch(() => undefined);
    await this.pg.end();
    const admin = this.kafka.admin();
    await admin.connect();
    await admin
      .deleteTopics({ topics: [...t.cdcTopics, t.deadLetterTopic] })
      .catch(() => undefined);
    await admin.disconnect();
    await this.clickhouse(
      `DROP DATABASE IF EXISTS ${
        planPipeline(this.spec).names.clickhouseDatabase
      }`,
    ).catch(() => undefined);
    const sf = this.spec.spec.snowflake;
    await this.snowflake(
      `DROP SCHEMA IF EXISTS ${sf.database}.${sf.schema} CASCADE`,
    ).catch(() => undefined);
    await new Promise<void>(resolve =>
      this.sf ? this.sf.destroy(() => resolve()) : resolve(),
    );
    fs.rmSync(this.specDir, { recursive: true, force: true });
  }
}
