import fs from 'fs';
import os from 'os';
import path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { RenderResult, startRenderBackend } from '../__testUtils__/render';
import { clickhouse, stackUp } from '../__testUtils__/stack';
import { startSparkJob, runSparkJob } from '../__testUtils__/sparkJob';
import { variants } from '../template/formVariants';

jest.setTimeout(20 * 60_000);

/**
 * The rendered speed job on its real runtime: pyspark 4.0.0 on local[2]
 * against the stack's Kafka, ClickHouse and S3 (checkpoint on s3a:// with
 * SSE-KMS), for two specs.
 */

type JobsColumn = {
  name: string;
  nullable: boolean;
  spark: string;
  debezium: string;
};
type JobsTable = {
  source: string;
  topic: string;
  clickhouseTable: string;
  primaryKey: string[];
  measures: string[];
  columns: JobsColumn[];
};

const SPECS = [
  'one table, local, JDBC, Iceberg, local DAG repo',
  'several tables, cloud, Glue, Iceberg',
];

/** A Debezium-encoded value of column `c` for row `i`, version `v`. */
function value(c: JobsColumn, i: number, v: number): unknown {
  const day = 20_000 + (i % 30);
  switch (c.debezium) {
    case 'number':
      return /INT/.test(c.spark) ? i * 7 + v : i + v / 4;
    case 'boolean':
      return (i + v) % 2 === 0;
    case 'decimal-string': {
      const scale = Number(/,(\d+)\)/.exec(c.spark)?.[1] ?? 0);
      const unscaled = BigInt(i * 1000 + v * 37 + 5);
      const text = unscaled.toString().padStart(scale + 1, '0');
      return scale ? `${text.slice(0, -scale)}.${text.slice(-scale)}` : text;
    }
    case 'epoch-days':
      return day;
    case 'epoch-micros':
      return day * 86_400_000_000 + i * 1_000_123 + v;
    case 'iso-instant':
      return new Date(Date.UTC(2026, 10, 1, 0, 0, i % 3600, v))
        .toISOString()
        .replace('Z', `${String(i % 1000).padStart(3, '0')}Z`);
    default:
      if (/uuid|_id$/.test(c.name) && c.spark === 'STRING') {
        return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      }
      if (c.name === 'attributes') return JSON.stringify({ i, v });
      return `s${i}-${v}`.slice(0, 3);
  }
}

/** Exact sum of decimal strings / numbers with `scale` digits, as text. */
function exactSum(values: unknown[], scale: number): string {
  const total = values.reduce<bigint>((acc, x) => {
    const [int, frac = ''] = String(x).split('.');
    return acc + BigInt(int + frac.padEnd(scale, '0'));
  }, 0n);
  const text = total.toString().padStart(scale + 1, '0');
  // As ClickHouse prints decimals: no trailing zeros after the point.
  return scale
    ? `${text.slice(0, -scale)}.${text.slice(-scale)}`.replace(/\.?0+$/, '')
    : text;
}

type Expected = {
  events: Array<{ key: string; value: string }>;
  poison: Array<{ key: string; value: string }>;
  live: number;
  deleted: number;
  measureSums: Record<string, string>;
};

/** Inserts, updates and deletes for `keys` rows, plus three poison events. */
function changeEvents(table: JobsTable, keys: number, lsn: { next: number }) {
  const image = (i: number, v: number) =>
    Object.fromEntries(table.columns.map(c => [c.name, value(c, i, v)]));
  const keyOf = (row: Record<string, unknown>) =>
    JSON.stringify(Object.fromEntries(table.primaryKey.map(k => [k, row[k]])));
  const [schema, name] = table.source.split('.');
  const envelope = (op: string, before: unknown, after: unknown) =>
    JSON.stringify({
      before,
      after,
      source: {
        lsn: lsn.next++,
        ts_ms: 1_790_000_000_000,
        schema,
        table: name,
      },
      op,
      ts_ms: 1_790_000_000_100,
    });
  const events: Expected['events'] = [];
  const latest = new Map<
    number,
    { row: Record<string, unknown>; deleted: boolean }
  >();
  for (let i = 1; i <= keys; i++) {
    const row = image(i, 0);
    events.push({ key: keyOf(row), value: envelope('c', null, row) });
    latest.set(i, { row, deleted: false });
  }
  for (let i = 3; i <= keys; i += 3) {
    const before = latest.get(i)!.row;
    const row = {
      ...image(i, 1),
      ...Object.fromEntries(table.primaryKey.map(k => [k, before[k]])),
    };
    events.push({ key: keyOf(row), value: envelope('u', before, row) });
    latest.set(i, { row, deleted: false });
  }
  for (let i = 10; i <= keys; i += 10) {
    const before = latest.get(i)!.row;
    events.push({ key: keyOf(before), value: envelope('d', before, null) });
    latest.set(i, { row: before, deleted: true });
  }
  const live = [...latest.values()].filter(x => !x.deleted);
  const measureSums = Object.fromEntries(
    table.measures.map(m => {
      const c = table.columns.find(col => col.name === m)!;
      const scale = Number(/,(\d+)\)/.exec(c.spark)?.[1] ?? 0);
      return [
        m,
        exactSum(
          live.map(x => x.row[m]),
          scale,
        ),
      ];
    }),
  );
  const notNull = table.columns.find(
    c => !c.nullable && !table.primaryKey.includes(c.name),
  );
  // A typed column that cannot hold the word 'twelve'.
  const typed = table.columns.find(
    c => c.debezium !== 'string' && !table.primaryKey.includes(c.name),
  )!;
  const bad = image(keys + 1, 0);
  const poison = [
    { key: keyOf(bad), value: 'this is not a change event' },
    {
      key: keyOf(bad),
      value: envelope('c', null, { ...bad, [typed.name]: 'twelve' }),
    },
    {
      key: keyOf(bad),
      value: envelope('c', null, {
        ...bad,
        [(notNull ?? table.columns[1]).name]: null,
      }),
    },
  ];
  return {
    events,
    poison,
    live: live.length,
    deleted: keys - live.length,
    measureSums,
  } as Expected;
}

describe('speed job (Spark Structured Streaming -> ClickHouse) on the real stack', () => {
  let env: Record<string, string>;
  const rendered = new Map<string, RenderResult>();

  beforeAll(async () => {
    env = stackUp(['kafka', 'clickhouse', 's3', 'spark']);
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
    '%s: exactly the expected rows, across a kill and restart; poison to the dead-letter topic',
    async specName => {
      const result = rendered.get(specName)!;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-speed-'));
      for (const f of result.files.filter(x =>
        x.path.startsWith('platform/'),
      )) {
        const target = path.join(dir, f.path);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, f.content);
      }
      const jobsDir = path.join(dir, 'platform/jobs');
      const jobs = JSON.parse(
        fs.readFileSync(path.join(jobsDir, 'pipeline.json'), 'utf8'),
      );
      const tables: JobsTable[] = jobs.tables;

      // The rendered DDL, run as the ClickHouse pod's init would.
      const ddl = /speed_layer\.sql: \|\n([\s\S]*?)(?:\n---|$)/.exec(
        fs.readFileSync(
          path.join(dir, 'platform/deploy/base/clickhouse/statefulset.yaml'),
          'utf8',
        ),
      )![1];
      const database = tables[0].clickhouseTable.split('.')[0];
      await clickhouse(env, `DROP DATABASE IF EXISTS ${database}`);
      for (const statement of ddl.replace(/^ {4}/gm, '').split(/;\s*\n/)) {
        const sql = statement.replace(/^\s*--.*$/gm, '').trim();
        if (sql) await clickhouse(env, sql);
      }

      // Fresh topics, then the change events.
      const kafka = new Kafka({
        brokers: [env.LP_KAFKA_BROKERS],
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();
      const topics = [...tables.map(t => t.topic), jobs.kafka.deadLetterTopic];
      const existing = await admin.listTopics();
      const stale = topics.filter(t => existing.includes(t));
      if (stale.length) {
        await admin.deleteTopics({ topics: stale });
        await new Promise(r => setTimeout(r, 2000));
      }
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map(topic => ({
          topic,
          numPartitions: topic === jobs.kafka.deadLetterTopic ? 1 : 3,
        })),
      });
      const producer = kafka.producer();
      await producer.connect();
      const lsn = { next: 1_000_000 };
      const expected = new Map<string, Expected>();
      for (const table of tables) {
        const e = changeEvents(table, 400, lsn);
        expected.set(table.topic, e);
        await producer.send({
          topic: table.topic,
          messages: [
            ...e.events.slice(0, 200),
            ...e.poison,
            ...e.events.slice(200),
          ],
        });
      }
      await producer.disconnect();

      const run = `${Date.now()}`;
      const args = [
        '--available-now',
        '--set',
        `kafka.bootstrapServers=${env.LP_KAFKA_BROKERS}`,
        '--set',
        `speed.clickhouseUrl=${env.LP_CLICKHOUSE_URL}`,
        '--set',
        `speed.checkpointLocation=s3a://${env.LP_S3_BUCKET}/tests/${run}/checkpoints/speed`,
        // Small batches, so the kill lands between two of them.
        '--set',
        'speed.maxOffsetsPerTrigger=150',
        '--set',
        'speed.triggerIntervalSeconds=1',
      ];
      const total = async () =>
        (
          await Promise.all(
            tables.map(t =>
              clickhouse(env, `SELECT count() FROM ${t.clickhouseTable}`),
            ),
          )
        ).reduce((a, n) => a + Number(n), 0);

      // First run: killed once some rows have landed.
      const first = startSparkJob(env, jobsDir, 'speed_job.py', args);
      const deadline = Date.now() + 5 * 60_000;
      let landed = 0;
      while (Date.now() < deadline) {
        const code = await Promise.race([
          first.done,
          new Promise(r => setTimeout(() => r(undefined), 500)),
        ]);
        if (code !== undefined) {
          throw new Error(
            `the speed job ended before it was killed (${code}):\n${first
              .output()
              .slice(-6000)}`,
          );
        }
        landed = await total();
        if (landed > 0) break;
      }
      first.kill();
      await first.done;
      expect(landed).toBeGreaterThan(0);

      // Restart from the checkpoint and let it drain.
      await runSparkJob(env, jobsDir, 'speed_job.py', args);

      for (const table of tables) {
        const e = expected.get(table.topic)!;
        const t = table.clickhouseTable;
        // No event inserted twice, whatever the kill replayed...
        const [rows, distinctEvents] = (
          await clickhouse(
            env,
            `SELECT count(), uniqExact(_kafka_partition, _kafka_offset) FROM ${t} FORMAT TSV`,
          )
        ).split('\t');
        expect({
          table: t,
          duplicates: Number(rows) - Number(distinctEvents),
        }).toEqual({ table: t, duplicates: 0 });
        // ...and exactly the latest state of every key.
        expect(
          Number(await clickhouse(env, `SELECT count() FROM ${t} FINAL`)),
        ).toBe(e.live);
        const deleted = await clickhouse(
          env,
          `SELECT countIf(d = 1) FROM (SELECT argMax(_is_deleted, _lsn) AS d FROM ${t} GROUP BY ${table.primaryKey.join(
            ', ',
          )})`,
        );
        expect(Number(deleted)).toBe(e.deleted);
        for (const [measure, sum] of Object.entries(e.measureSums)) {
          expect({
            measure,
            sum: await clickhouse(
              env,
              `SELECT toString(sum(${measure})) FROM ${t} FINAL`,
            ),
          }).toEqual({
            measure,
            sum,
          });
        }
      }

      // Every poison event is in the dead-letter topic with its reason.
      const consumer = kafka.consumer({ groupId: `lp-test-dlq-${run}` });
      await consumer.connect();
      await consumer.subscribe({
        topic: jobs.kafka.deadLetterTopic,
        fromBeginning: true,
      });
      const letters: Array<{ error: string; topic: string }> = [];
      const wanted = tables.length * 3;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `only ${letters.length} of ${wanted} dead letters arrived`,
              ),
            ),
          60_000,
        );
        consumer.run({
          eachMessage: async ({ message }) => {
            letters.push({
              error: String(message.headers?.['lp.error'] ?? ''),
              topic: String(message.headers?.['lp.source.topic'] ?? ''),
            });
            if (
              new Set(letters.map(l => `${l.topic}|${l.error}`)).size >= wanted
            ) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      await consumer.disconnect();
      await admin.disconnect();
      for (const table of tables) {
        const reasons = letters
          .filter(l => l.topic === table.topic)
          .map(l => l.error);
        expect(reasons).toEqual(
          expect.arrayContaining([
            'value is not a JSON change event',
            expect.stringMatching(/cannot read twelve as /),
            expect.stringMatching(/is missing or null but NOT NULL/),
          ]),
        );
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  );
});
