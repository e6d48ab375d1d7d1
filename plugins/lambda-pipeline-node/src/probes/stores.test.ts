import { stackEnvironment, stackUp } from '../testUtils';
import { ClickHouseHttpProbe } from './clickhouse';
import { PipelineEnvironments, ProbeError } from './common';
import { PostgresPoolProbe } from './postgres';
import { SnowflakeSdkProbe } from './snowflake';

jest.setTimeout(10 * 60_000);

/** The three data stores, each through its official client, on the stack's real servers. */
describe('store probes (real ClickHouse, Snowflake emulator, PostgreSQL)', () => {
  let environments: PipelineEnvironments;
  let clickhouse: ClickHouseHttpProbe;
  let snowflake: SnowflakeSdkProbe;
  let postgres: PostgresPoolProbe;
  const table = `lp_probe_${Date.now().toString(36)}`;

  beforeAll(() => {
    const env = stackUp(['postgres', 'clickhouse', 'snowflake']);
    environments = PipelineEnvironments.of([stackEnvironment(env)]);
    clickhouse = new ClickHouseHttpProbe(environments, { timeoutMs: 10_000 });
    snowflake = new SnowflakeSdkProbe(environments, { timeoutMs: 30_000 });
    postgres = new PostgresPoolProbe(environments, { timeoutMs: 10_000 });
  });

  afterAll(async () => {
    await snowflake
      .query('dev', `DROP TABLE IF EXISTS ${table.toUpperCase()}`)
      .catch(() => undefined);
    await Promise.all([
      clickhouse?.close(),
      snowflake?.close(),
      postgres?.close(),
    ]);
  });

  it('queries ClickHouse with bound parameters, read-only', async () => {
    expect(await clickhouse.ping('dev')).toMatch(/^26\.7\./);
    const rows = await clickhouse.query<{ n: string; s: string }>(
      'dev',
      'SELECT toString(count()) AS n, {label:String} AS s FROM numbers({rows:UInt32})',
      { rows: 1234, label: 'probe' },
    );
    expect(rows).toEqual([{ n: '1234', s: 'probe' }]);
    const error: ProbeError = await clickhouse
      .query('dev', 'CREATE TABLE default.lp_never (x UInt8) ENGINE = Memory')
      .catch(e => e);
    expect(error.reason).toBe('error');
    expect(error.message).toMatch(/readonly/i);
  });

  it('reads numbers through snowflake-sdk from the Snowflake emulator', async () => {
    const name = table.toUpperCase();
    await snowflake.query(
      'dev',
      `CREATE OR REPLACE TABLE ${name} (ID INTEGER, AMOUNT NUMBER(12, 2), LOADED_AT TIMESTAMP_NTZ)`,
    );
    await snowflake.query(
      'dev',
      `INSERT INTO ${name} VALUES (1, 10.25, '2026-12-01 10:00:00'), (2, 4.75, '2026-12-01 10:05:00')`,
    );
    const [row] = await snowflake.query<Record<string, unknown>>(
      'dev',
      `SELECT COUNT(*) AS N, TO_VARCHAR(SUM(AMOUNT)) AS TOTAL, MAX(LOADED_AT) AS LAST_LOAD FROM ${name} WHERE ID >= ?`,
      [1],
    );
    expect(row.N).toBe(2);
    // Compared as a number: the emulator prints 15.0 where Snowflake prints 15.00.
    expect(Number(row.TOTAL)).toBe(15);
    expect(new Date(row.LAST_LOAD as string).toISOString()).toBe(
      '2026-12-01T10:05:00.000Z',
    );
  });

  it('reads source statistics from PostgreSQL', async () => {
    const rows = await postgres.query<{ ok: number }>(
      'dev',
      'select $1::int as ok',
      [1],
    );
    expect(rows).toEqual([{ ok: 1 }]);
  });

  it('says plainly when a store cannot be reached', async () => {
    const gone = PipelineEnvironments.of([
      {
        name: 'dev',
        clickhouse: { url: 'http://127.0.0.1:9', username: 'default' },
        postgres: {
          host: '127.0.0.1',
          port: 9,
          database: 'x',
          user: 'x',
          ssl: false,
        },
      },
    ]);
    const ch: ProbeError = await new ClickHouseHttpProbe(gone, {
      timeoutMs: 3000,
    })
      .ping('dev')
      .catch(e => e);
    expect([ch.system, ch.reason]).toEqual(['clickhouse', 'unreachable']);
    expect(ch.message).toMatch(
      /^ClickHouse \(dev\) at http:\/\/127\.0\.0\.1:9: .*ECONNREFUSED/,
    );
    const pg: ProbeError = await new PostgresPoolProbe(gone, {
      timeoutMs: 3000,
    })
      .query('dev', 'select 1')
      .catch(e => e);
    expect([pg.system, pg.reason]).toEqual(['postgres', 'unreachable']);
    const sf: ProbeError = await snowflake
      .query('staging', 'select 1')
      .catch(e => e);
    expect([sf.system, sf.reason]).toEqual(['snowflake', 'not-configured']);
  });
});
