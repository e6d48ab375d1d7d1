import { createClient, ClickHouseClient } from '@clickhouse/client';
import { stackCli } from './cliRunner';

describe('ClickHouse (libchdb server) through @clickhouse/client', () => {
  let client: ClickHouseClient;
  const database = `lp_test_${Date.now()}`;

  beforeAll(async () => {
    client = createClient({
      url: process.env.LP_CLICKHOUSE_URL,
      username: process.env.LP_CLICKHOUSE_USER,
      password: process.env.LP_CLICKHOUSE_PASSWORD,
    });
    expect((await client.ping()).success).toBe(true);
    await client.command({ query: `CREATE DATABASE ${database}` });
  });

  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client.close();
  });

  it('runs DDL, inserts 100,000 rows and aggregates them', async () => {
    await client.command({
      query: `CREATE TABLE ${database}.orders (
        order_id UInt64, customer_id UInt32, amount Decimal(12, 2), updated_at DateTime64(3), lsn UInt64
      ) ENGINE = ReplacingMergeTree(lsn) ORDER BY order_id`,
    });
    const rows = Array.from({ length: 100_000 }, (_, i) => ({
      order_id: i + 1,
      customer_id: (i % 1000) + 1,
      amount: ((i % 500) + 0.25).toFixed(2),
      updated_at: '2026-11-25 10:00:00.000',
      lsn: i + 1,
    }));
    await client.insert({
      table: `${database}.orders`,
      values: rows,
      format: 'JSONEachRow',
    });

    const result = await client.query({
      query: `SELECT count() AS n, uniqExact(customer_id) AS customers, sum(amount) AS total
              FROM ${database}.orders FINAL`,
      format: 'JSONEachRow',
    });
    const [stats] = await result.json<{
      n: string;
      customers: string;
      total: string;
    }>();
    const expectedTotal =
      rows.reduce((sum, row) => sum + Math.round(Number(row.amount) * 100), 0) /
      100;
    expect(Number(stats.n)).toBe(100_000);
    expect(Number(stats.customers)).toBe(1000);
    expect(Number(stats.total)).toBeCloseTo(expectedTotal, 2);
  });

  it('keeps its data across down and up', async () => {
    await client.command({
      query: `CREATE TABLE ${database}.kept (id UInt32) ENGINE = MergeTree ORDER BY id`,
    });
    await client.insert({
      table: `${database}.kept`,
      values: [{ id: 1 }, { id: 2 }, { id: 3 }],
      format: 'JSONEachRow',
    });
    await client.close();

    stackCli(['down', 'clickhouse']);
    stackCli(['up', 'clickhouse']);

    client = createClient({
      url: process.env.LP_CLICKHOUSE_URL,
      username: process.env.LP_CLICKHOUSE_USER,
    });
    const result = await client.query({
      query: `SELECT sum(id) AS s FROM ${database}.kept`,
      format: 'JSONEachRow',
    });
    const [{ s }] = await result.json<{ s: string | number }>();
    expect(Number(s)).toBe(6);
  });

  it('reports query errors the way the client expects', async () => {
    await expect(
      client.query({ query: 'SELECT * FROM no_such_table_anywhere' }),
    ).rejects.toThrow(/UNKNOWN_TABLE|Unknown table/);
  });
});
