import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { Kafka, logLevel } from 'kafkajs';
import { startPipelineRenderBackend } from '../__testUtils__/render';
import { stackUp } from '../__testUtils__/stack';
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
  createSnowflakeTables,
  dbtSnowflakeEnv,
  icebergCatalogConf,
  resetTopics,
  snowflakeArgs,
  startLakeSink,
} from '../__testUtils__/pipelineRun';
import { variants } from '../template/formVariants';

jest.setTimeout(25 * 60_000);

const SPEC = 'one table, local, JDBC, Iceberg, local DAG repo';

/** Decimal text without trailing zeros. */
const normalize = (text: unknown) =>
  String(text).includes('.')
    ? String(text).replace(/\.?0+$/, '')
    : String(text);

/**
 * The DAG repository's dbt project on the Snowflake emulator, after the
 * batch layer as the DAGs chain them: change events -> the lake sink ->
 * the batch job (official Spark connector) -> `dbt build`, twice, the
 * second time on a load of updates, deletes and new keys. No
 * `--full-refresh`: the second build runs the incremental models'
 * MERGE on the emulator as it runs on Snowflake.
 */
describe('the dbt project on the Snowflake emulator, incrementally', () => {
  it('builds the marts, then merges the next load into them; every data test passes', async () => {
    const env = stackUp([
      'kafka',
      'connect',
      's3',
      'snowflake',
      'spark',
      'dbt',
    ]);
    const backend = await startPipelineRenderBackend();
    const result = await backend
      .render(isolated(variants[SPEC], 'db'))
      .finally(() => backend.stop());
    const { dir, jobsDir, jobs } = renderedPlatform(result);
    const dagsDir = renderedRepo(result, 'dags');
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-dbt-sf-'));
    const platformDir = path.join(dir, 'platform');
    const [table]: JobsTable[] = jobs.tables;
    const sf = jobs.batch.snowflake;
    const run = `${Date.now()}`;

    const kafka = new Kafka({
      brokers: [env.LP_KAFKA_BROKERS],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await resetTopics(admin, [
      { topic: table.topic, numPartitions: 2 },
      { topic: jobs.kafka.deadLetterTopic, numPartitions: 1 },
    ]);
    const sink = await startLakeSink(env, admin, platformDir, [table], run);
    const producer = kafka.producer();
    const snowflakeEnv = await dbtSnowflakeEnv(env, sf);
    const dbt = async (args: string[]) => {
      fs.rmSync(path.join(work, 'target/run_results.json'), { force: true });
      const { stdout } = await promisify(execFile)(env.LP_DBT_BIN, args, {
        cwd: path.join(dagsDir, 'dbt'),
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DBT_USE_COLORS: 'false',
          DBT_PROFILES_DIR: path.join(dagsDir, 'dbt'),
          DBT_TARGET_PATH: path.join(work, 'target'),
          DBT_LOG_PATH: path.join(work, 'logs'),
          DBT_PACKAGES_INSTALL_PATH: path.join(work, 'dbt_packages'),
          ...snowflakeEnv,
          DBT_THREADS: '1',
        },
      }).catch(error => {
        throw new Error(
          `dbt ${args.join(' ')} failed:\n${String(error.stdout).slice(-6000)}`,
        );
      });
      const resultsFile = path.join(work, 'target/run_results.json');
      const results = (
        fs.existsSync(resultsFile)
          ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')).results
          : []
      ) as Array<{ unique_id: string; status: string }>;
      return { stdout, results };
    };
    /** The SQL dbt last ran for the window mart (target/run). */
    const windowMartSql = () => {
      const name = `${table.snowflakeTable
        .split('.')
        .pop()!
        .toLowerCase()}_by_window.sql`;
      const found: string[] = [];
      const walk = (d: string) =>
        fs.readdirSync(d, { withFileTypes: true }).forEach(e => {
          const child = path.join(d, e.name);
          if (e.isDirectory()) walk(child);
          else if (e.name === name) found.push(child);
        });
      walk(path.join(work, 'target/run'));
      expect(found).toHaveLength(1);
      return fs.readFileSync(found[0], 'utf8');
    };
    const load = async (keys: number, lsn: number) => {
      const events = changeEvents(table, keys, { next: lsn });
      await producer.send({ topic: table.topic, messages: events.events });
      await sink.caughtUp();
      await runSparkJob(
        env,
        jobsDir,
        'batch_job.py',
        snowflakeArgs(env),
        await icebergCatalogConf(env, sink.warehouse),
      );
      return events;
    };
    /** The window mart's totals, which must equal the batch table's live rows. */
    const martTotals = async () => {
      const session = await snowflakeSession(env);
      try {
        const mart = `${sf.database}.${sf.schema}_MARTS.${table.snowflakeTable
          .split('.')
          .pop()}_BY_WINDOW`;
        const [m] = table.measures;
        const [row] = await session.query(
          `SELECT TO_VARCHAR(SUM(ROW_COUNT)) AS LIVE, TO_VARCHAR(SUM(DELETED_ROWS)) AS DELETED, TO_VARCHAR(SUM(SUM_${m.toUpperCase()})) AS S FROM ${mart}`,
        );
        return {
          live: Number(row.LIVE),
          deleted: Number(row.DELETED),
          sum: normalize(row.S),
        };
      } finally {
        await session.close();
      }
    };
    try {
      await producer.connect();
      await createSnowflakeTables(env, platformDir, jobs);
      // The marts start empty: the first build creates them whole.
      const session = await snowflakeSession(env);
      await session
        .query(
          `DROP SCHEMA IF EXISTS ${sf.database}.${sf.schema}_MARTS CASCADE`,
        )
        .finally(() => session.close());
      await dbt(['deps']);

      const first = await load(120, 1_000_000);
      const built = await dbt(['build', '--target', 'snowflake']);
      expect(
        built.results.filter(r => !['success', 'pass'].includes(r.status)),
      ).toEqual([]);
      expect(windowMartSql()).not.toMatch(/\bmerge into\b/i);
      const [m] = table.measures;
      expect(await martTotals()).toEqual({
        live: first.live,
        deleted: first.deleted,
        sum: normalize(first.measureSums[m]),
      });

      // Updates and deletes of the first keys at later positions, and new keys.
      const second = await load(300, 2_000_000);
      const merged = await dbt(['build', '--target', 'snowflake']);
      expect(
        merged.results.filter(r => !['success', 'pass'].includes(r.status)),
      ).toEqual([]);
      expect(windowMartSql()).toMatch(/\bmerge into\b/i);
      expect(await martTotals()).toEqual({
        live: second.live,
        deleted: second.deleted,
        sum: normalize(second.measureSums[m]),
      });
    } finally {
      await producer.disconnect();
      await sink.remove();
      await admin.disconnect();
      if (!process.env.LP_KEEP_DBT_WORK)
        for (const d of [dir, dagsDir, work])
          fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
