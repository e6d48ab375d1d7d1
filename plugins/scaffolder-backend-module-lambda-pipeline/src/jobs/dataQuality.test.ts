import fs from 'fs';
import path from 'path';
import { startPipelineRenderBackend } from '../__testUtils__/render';
import { stackUp } from '../__testUtils__/stack';
import { snowflakeSession } from '../__testUtils__/snowflake';
import {
  JobsTable,
  isolated,
  renderedPlatform,
  renderedRepo,
} from '../__testUtils__/changeEvents';
import {
  createSnowflakeTables,
  runDagModule,
  snowflakeArgs,
} from '../__testUtils__/pipelineRun';
import { variants } from '../template/formVariants';

jest.setTimeout(10 * 60_000);

const SPEC = 'one table, local, JDBC, Iceberg, local DAG repo';
const HOUR = 3600_000;
const START = Date.UTC(2026, 10, 2, 0, 0, 0);

/**
 * The DAG repository's data-quality check (z-score of per-window volumes and
 * null rates) on the Snowflake emulator, with the tables of the rendered
 * setup.sql: steady hours pass, a collapsed newest hour is an anomaly named
 * by table, window and metric.
 */
describe('data-quality checks on the batch layer', () => {
  it('passes steady volumes and names a window whose volume collapsed', async () => {
    const env = stackUp(['snowflake', 'dbt']);
    const backend = await startPipelineRenderBackend();
    const result = await backend
      .render(isolated(variants[SPEC], 'dq'))
      .finally(() => backend.stop());
    const { dir, jobs } = renderedPlatform(result);
    const dagsDir = renderedRepo(result, 'dags');
    const table: JobsTable = jobs.tables[0];
    await createSnowflakeTables(env, path.join(dir, 'platform'), jobs);

    const sf = await snowflakeSession(env);
    let nextId = 1;
    const insertRows = async (hour: number, count: number) => {
      const values = Array.from({ length: count }, (_, i) => {
        const id = nextId++;
        const at = new Date(START + hour * HOUR + i * 1000).toISOString();
        return `(${id}, 'paid', ${id}.50, '${at}', ${id}, 'c', FALSE, '${at}', 0, ${id}, ${id})`;
      });
      await sf.query(
        `INSERT INTO ${
          table.snowflakeTable
        } (ORDER_ID, STATUS, AMOUNT, UPDATED_AT, _LSN, _OP, _IS_DELETED, _SOURCE_TS, _KAFKA_PARTITION, _KAFKA_OFFSET, _FINGERPRINT) VALUES ${values.join(
          ', ',
        )}`,
      );
    };
    const check = () =>
      runDagModule(env, dagsDir, 'data_quality', [
        '--now',
        new Date(START + 9 * HOUR).toISOString(),
        ...snowflakeArgs(env),
      ]);
    try {
      // Eight steady hours (40 to 47 rows), then an hour with 3.
      for (let hour = 0; hour < 8; hour++) await insertRows(hour, 40 + hour);
      await insertRows(8, 3);
      const collapsed = await check();
      expect(collapsed.code).toBe(2);
      expect(collapsed.out.anomalies).toEqual([
        expect.objectContaining({
          table: table.source,
          window: '2026-11-02T08:00:00+00:00',
          metric: 'row_count',
        }),
      ]);

      // The rest of that hour's rows arrive: steady again.
      await insertRows(8, 41);
      expect(await check()).toEqual({ code: 0, out: { status: 'ok' } });
    } finally {
      await sf.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(dagsDir, { recursive: true, force: true });
    }
  });
});
