import fs from 'fs';
import path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import {
  RenderResult,
  startPipelineRenderBackend,
} from '../__testUtils__/render';
import { clickhouse, stackUp } from '../__testUtils__/stack';
import { startSparkJob, runSparkJob } from '../__testUtils__/sparkJob';
import {
  createClickHouseTables,
  resetTopics,
  speedJobArgs,
} from '../__testUtils__/pipelineRun';
import { variants } from '../template/formVariants';
import {
  Expected,
  JobsTable,
  changeEvents,
  isolated,
  renderedPlatform,
} from '../__testUtils__/changeEvents';

jest.setTimeout(20 * 60_000);

const SPECS = [
  'one table, local, JDBC, Iceberg, local DAG repo',
  'several tables, cloud, Glue, Iceberg',
];

/**
 * The rendered speed job on its real runtime: pyspark 3.5.7 on local[2]
 * against the stack's Kafka, ClickHouse and S3 (checkpoint on s3a://, which
 * the bucket's default encryption covers over http), for two specs.
 */

describe('speed job (Spark Structured Streaming -> ClickHouse) on the real stack', () => {
  let env: Record<string, string>;
  const rendered = new Map<string, RenderResult>();

  beforeAll(async () => {
    env = stackUp(['kafka', 'clickhouse', 's3', 'spark']);
    const backend = await startPipelineRenderBackend();
    try {
      for (const name of SPECS) {
        rendered.set(
          name,
          await backend.render(isolated(variants[name], 'sp')),
        );
      }
    } finally {
      await backend.stop();
    }
  });

  it.each(SPECS)(
    '%s: exactly the expected rows, across a kill and restart; poison to the dead-letter topic',
    async specName => {
      const result = rendered.get(specName)!;
      const { dir, jobsDir, jobs } = renderedPlatform(result);
      const tables: JobsTable[] = jobs.tables;

      // The rendered DDL, run as the ClickHouse pod's init would.
      await createClickHouseTables(env, path.join(dir, 'platform'), tables);

      // Fresh topics, then the change events.
      const kafka = new Kafka({
        brokers: [env.LP_KAFKA_BROKERS],
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();
      await resetTopics(admin, [
        ...tables.map(t => ({ topic: t.topic, numPartitions: 3 })),
        { topic: jobs.kafka.deadLetterTopic, numPartitions: 1 },
      ]);
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
      // Small batches, so the kill lands between two of them.
      const args = speedJobArgs(env, run, [
        '--set',
        'speed.maxOffsetsPerTrigger=150',
        '--set',
        'speed.triggerIntervalSeconds=1',
      ]);
      const total = async () =>
        (
          await Promise.all(
            tables.map(t =>
              clickhouse(env, `SELECT count() FROM ${t.clickhouseTable}`),
            ),
          )
        ).reduce((a, n) => a + Number(n), 0);

      // First run: killed once some rows have landed.
      const first = await startSparkJob(env, jobsDir, 'speed_job.py', args);
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
