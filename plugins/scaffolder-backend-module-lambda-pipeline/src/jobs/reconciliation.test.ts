import fs from 'fs';
import path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { startPipelineRenderBackend } from '../__testUtils__/render';
import { clickhouse, stackUp } from '../__testUtils__/stack';
import { runSparkJob } from '../__testUtils__/sparkJob';
import { snowflakeSession } from '../__testUtils__/snowflake';
import {
  JobsTable,
  changeEvents,
  isolated,
  renderedPlatform,
  renderedRepo,
} from '../__testUtils__/changeEvents';
import {
  createClickHouseTables,
  createSnowflakeTables,
  icebergCatalogConf,
  resetTopics,
  runDagModule,
  snowflakeArgs,
  speedJobArgs,
  startLakeSink,
} from '../__testUtils__/pipelineRun';
import { variants } from '../template/formVariants';

jest.setTimeout(25 * 60_000);

const SPEC = 'one table, local, JDBC, Iceberg, local DAG repo';
const WINDOW_SECONDS = 60;

/**
 * Both layers fed from one log, then compared by the DAG repository's
 * reconciliation module: the same change events go through the speed job
 * into ClickHouse and through the Iceberg sink and the batch job into the
 * Snowflake emulator. Equal layers are consistent in every window; a row
 * deleted from Snowflake and a row altered in ClickHouse make exactly their
 * two windows diverge, by name.
 */
describe('reconciliation between the speed and batch layers on the real stack', () => {
  it('finds the layers consistent, then names the windows that differ', async () => {
    const env = stackUp([
      'kafka',
      'connect',
      'clickhouse',
      's3',
      'snowflake',
      'spark',
      'dbt',
    ]);
    const backend = await startPipelineRenderBackend();
    const result = await backend
      .render(isolated(variants[SPEC], 'rc'))
      .finally(() => backend.stop());
    const { dir, jobsDir, jobs } = renderedPlatform(result);
    const dagsDir = renderedRepo(result, 'dags');
    const platformDir = path.join(dir, 'platform');
    const tables: JobsTable[] = jobs.tables;
    const table = tables[0];
    const run = `${Date.now()}`;

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
    await createClickHouseTables(env, platformDir, tables);
    const sink = await startLakeSink(env, admin, platformDir, tables, run);
    try {
      const producer = kafka.producer();
      await producer.connect();
      const events = changeEvents(table, 239, { next: 9_000_000 });
      await producer.send({ topic: table.topic, messages: events.events });
      await producer.disconnect();

      // Speed layer: the speed job drains the topic into ClickHouse.
      await runSparkJob(env, jobsDir, 'speed_job.py', speedJobArgs(env, run));
      // Batch layer: the sink commits to Iceberg, the batch job loads Snowflake.
      await sink.caughtUp();
      await createSnowflakeTables(env, platformDir, jobs);
      await runSparkJob(
        env,
        jobsDir,
        'batch_job.py',
        snowflakeArgs(env),
        await icebergCatalogConf(env, sink.warehouse),
      );

      // The reconciliation as the DAG runs it, as of a time after the data.
      const reconcile = () =>
        runDagModule(env, dagsDir, 'reconciliation', [
          '--now',
          '2026-11-01T06:00:00+00:00',
          '--set',
          `speed.clickhouseUrl=${env.LP_CLICKHOUSE_URL}`,
          ...snowflakeArgs(env),
          '--set',
          `reconciliation.windowMinutes=${WINDOW_SECONDS / 60}`,
          '--set',
          'reconciliation.lookbackWindows=1000',
          // The batch watermark is the newest event time loaded (00:03:59):
          // with no lateness, windows ending by then are closed.
          '--set',
          'reconciliation.allowedLatenessMinutes=0',
        ]);

      const equal = await reconcile();
      expect(equal.code).toBe(0);
      const windows = equal.out.results;
      // 239 keys with event times one second apart: four one-minute windows.
      expect(windows).toHaveLength(4);
      expect(
        windows.map((w: any) => ({ status: w.status, closed: w.closed })),
      ).toEqual([
        { status: 'consistent', closed: true },
        { status: 'consistent', closed: true },
        { status: 'consistent', closed: true },
        // The newest window is still open: the batch layer may not have all of it.
        { status: 'consistent', closed: false },
      ]);
      expect(windows.reduce((n: number, w: any) => n + w.speed.rows, 0)).toBe(
        events.live,
      );

      // Break each layer in one row: order 7 (key 1) deleted from Snowflake, order
      // 875 (key 125) altered in ClickHouse; their events are a minute apart.
      const windowOf = async (key: number) => {
        const seconds = Number(
          await clickhouse(
            env,
            `SELECT toUnixTimestamp(updated_at) FROM ${table.clickhouseTable} FINAL WHERE order_id = ${key}`,
          ),
        );
        const start = Math.floor(seconds / WINDOW_SECONDS) * WINDOW_SECONDS;
        return new Date(start * 1000).toISOString().replace('.000Z', '+00:00');
      };
      const deletedWindow = await windowOf(7);
      const alteredWindow = await windowOf(875);
      expect(deletedWindow).not.toBe(alteredWindow);
      const sf = await snowflakeSession(env);
      try {
        await sf.query(
          `DELETE FROM ${table.snowflakeTable} WHERE ORDER_ID = 7`,
        );
      } finally {
        await sf.close();
      }
      await clickhouse(
        env,
        `ALTER TABLE ${table.clickhouseTable} UPDATE amount = amount + 1 WHERE order_id = 875 SETTINGS mutations_sync = 2`,
      );

      const broken = await reconcile();
      expect(broken.code).toBe(2);
      expect(broken.out.message).toMatch(/2 closed window\(s\) differ/);
      const diverged = Object.fromEntries(
        broken.out.windows.map((w: any) => [w.windowStart, w.differences]),
      );
      expect(diverged).toEqual({
        [deletedWindow]: expect.arrayContaining([
          'rows',
          'distinct_keys',
          'fingerprint_xor',
          'sum_amount',
        ]),
        [alteredWindow]: ['sum_amount'],
      });

      // Every run is saved where the Backstage plugin reads it.
      const saved = await snowflakeSession(env);
      try {
        const rows = await saved.query(
          `SELECT STATUS, COUNT(*) AS N FROM ${jobs.reconciliation.resultsTable} GROUP BY STATUS ORDER BY STATUS`,
        );
        expect(
          Object.fromEntries(rows.map((r: any) => [r.STATUS, Number(r.N)])),
        ).toEqual({ consistent: 4 + 2, diverged: 2 });
      } finally {
        await saved.close();
      }
    } finally {
      await sink.remove();
      await admin.disconnect();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(dagsDir, { recursive: true, force: true });
    }
  });
});
