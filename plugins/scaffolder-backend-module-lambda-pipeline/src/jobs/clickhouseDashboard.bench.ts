import fs from 'fs';
import os from 'os';
import { createClickHouseTables } from '../__testUtils__/pipelineRun';
import { startPipelineRenderBackend } from '../__testUtils__/render';
import { clickhouse, stackUp } from '../__testUtils__/stack';
import { time } from '../__testUtils__/timing';
import {
  isolated,
  JobsTable,
  renderedPlatform,
} from '../__testUtils__/changeEvents';
import { variants } from '../template/formVariants';

/**
 * Benchmark: dashboard-style queries on the speed layer's ClickHouse table
 * as the template renders it (ReplacingMergeTree by primary key, versioned
 * by _lsn, deletes as _is_deleted), filled with 10 million rows (a week of
 * event time, 2% deleted). Each query reads the latest version of every key
 * (FINAL), as the speed view and Grafana do; the reference in the same run
 * is the same query without FINAL (a plain scan), so the ratio is what
 * exactly-once reading costs. Target: p95 under a second.
 *
 * Run with `bench/clickhouse-dashboard.sh`; LP_BENCH_ROWS changes the size.
 */

jest.setTimeout(60 * 60_000);

const ROWS = Number(process.env.LP_BENCH_ROWS ?? 10_000_000);
const RUNS = Number(process.env.LP_BENCH_RUNS ?? 20);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return (
    Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 10) / 10
  );
};

/** A ClickHouse expression filling a column of `type` for row `number`. */
function fill(name: string, type: string, key: boolean): string {
  const inner = /^Nullable\((.*)\)$/.exec(type)?.[1] ?? type;
  const special: Record<string, string> = {
    _lsn: 'toUInt64(number)',
    _is_deleted: 'toUInt8(number % 50 = 0)',
    _op: "if(number % 50 = 0, 'd', 'u')",
    _kafka_partition: 'toInt32(number % 4)',
    _kafka_offset: 'toInt64(intDiv(number, 4))',
    _fingerprint: 'toInt64(cityHash64(number))',
  };
  if (special[name]) return `${special[name]} AS \`${name}\``;
  let expr: string;
  if (key) expr = `CAST(number AS ${inner})`;
  else if (/^U?Int/.test(inner)) expr = `CAST(number % 100000 AS ${inner})`;
  else if (/^Decimal/.test(inner))
    expr = `CAST((number % 100000) / 100 AS ${inner})`;
  else if (/^Float/.test(inner))
    expr = `CAST((number % 1000) / 10 AS ${inner})`;
  else if (/^DateTime64|^DateTime/.test(inner))
    expr = `CAST(now64(3) - toIntervalMillisecond((number * 60481) % 604800000) AS ${inner})`;
  else if (/^Date/.test(inner))
    expr = `CAST(today() - number % 30 AS ${inner})`;
  else if (/^Bool/.test(inner)) expr = `number % 2 = 0`;
  else if (/String/.test(inner))
    expr = `CAST(['NEW','PAID','PACKED','SHIPPED','DELIVERED','CANCELLED'][number % 6 + 1] AS ${inner})`;
  else if (/^UUID/.test(inner)) expr = 'generateUUIDv4(number)';
  else throw new Error(`the bench cannot fill ${name} ${type}`);
  return `${expr} AS \`${name}\``;
}

describe('bench: dashboard queries on the speed layer', () => {
  it(`measures p50/p95 over ${ROWS.toLocaleString('en-US')} rows`, async () => {
    const env = stackUp(['clickhouse']);
    const renderer = await startPipelineRenderBackend();
    const rendered = await renderer
      .render(
        isolated(
          variants['one table, local, JDBC, Iceberg, local DAG repo'],
          'dash',
        ),
      )
      .finally(() => renderer.stop());
    const { dir, jobs } = renderedPlatform(rendered);
    const table: JobsTable & { eventTimeColumn: string } = jobs.tables[0];
    await createClickHouseTables(env, `${dir}/platform`, jobs.tables);
    const t = table.clickhouseTable;

    // Fill: every column without a default, from numbers().
    const columns = JSON.parse(
      await clickhouse(
        env,
        `SELECT name, type, default_kind FROM system.columns WHERE database = '${
          t.split('.')[0]
        }' AND table = '${t.split('.')[1]}' FORMAT JSON`,
      ),
    ).data as Array<{ name: string; type: string; default_kind: string }>;
    const filled = columns.filter(c => !c.default_kind);
    const [fillMs] = await time(() =>
      clickhouse(
        env,
        `INSERT INTO ${t} (${filled.map(c => `\`${c.name}\``).join(', ')})
         SELECT ${filled
           .map(c => fill(c.name, c.type, table.primaryKey.includes(c.name)))
           .join(', ')}
         FROM numbers(${ROWS}) SETTINGS max_insert_block_size = 1000000`,
      ),
    );
    const count = Number(await clickhouse(env, `SELECT count() FROM ${t}`));
    expect(count).toBe(ROWS);

    const ev = `\`${table.eventTimeColumn}\``;
    const measure = `\`${table.measures[0]}\``;
    const group = columns.find(
      c =>
        /String/.test(c.type) &&
        !c.name.startsWith('_') &&
        !table.primaryKey.includes(c.name),
    )?.name;
    // What a dashboard ranks: another integer column (a customer, an account), else the key itself.
    const entity =
      columns.find(
        c =>
          /Int/.test(c.type) &&
          !c.name.startsWith('_') &&
          !table.primaryKey.includes(c.name),
      )?.name ?? table.primaryKey[0];
    const key = `\`${table.primaryKey[0]}\``;
    const queries: Record<string, (from: string) => string> = {
      'events per minute, last hour': from =>
        `SELECT toStartOfMinute(${ev}) AS m, count() FROM ${from} WHERE ${ev} > now() - INTERVAL 1 HOUR AND NOT _is_deleted GROUP BY m ORDER BY m`,
      [`${measure} by ${group}, last 24 h`]: from =>
        `SELECT \`${group}\`, sum(${measure}), count() FROM ${from} WHERE ${ev} > now() - INTERVAL 1 DAY AND NOT _is_deleted GROUP BY \`${group}\``,
      // Top 10 entities by the measure; when the only integer column is the key, the largest rows themselves.
      [`top 10 ${entity} by ${measure}, last 7 days`]: from =>
        table.primaryKey.includes(entity)
          ? `SELECT \`${entity}\`, ${measure} FROM ${from} WHERE ${ev} > now() - INTERVAL 7 DAY AND NOT _is_deleted ORDER BY ${measure} DESC LIMIT 10`
          : `SELECT \`${entity}\`, sum(${measure}) AS s FROM ${from} WHERE ${ev} > now() - INTERVAL 7 DAY AND NOT _is_deleted GROUP BY \`${entity}\` ORDER BY s DESC LIMIT 10`,
      'live rows': from => `SELECT count() FROM ${from} WHERE NOT _is_deleted`,
      'one key': from =>
        `SELECT * FROM ${from} WHERE ${key} = ${Math.floor(ROWS / 3)}`,
      'freshness (newest event, newest insert)': from =>
        `SELECT max(${ev}), max(_ingested_at) FROM ${from}`,
    };

    const results: Record<string, any> = {};
    for (const [name, sql] of Object.entries(queries)) {
      const measureQuery = async (from: string) => {
        for (let i = 0; i < 2; i++) await clickhouse(env, sql(from));
        const ms: number[] = [];
        for (let i = 0; i < RUNS; i++)
          ms.push((await time(() => clickhouse(env, sql(from))))[0]);
        return { p50: percentile(ms, 0.5), p95: percentile(ms, 0.95) };
      };
      const final = await measureQuery(`${t} FINAL`);
      const plain = await measureQuery(t);
      results[name] = {
        finalMs: final,
        plainScanMs: plain,
        finalOverPlainP95:
          Math.round((final.p95 / Math.max(plain.p95, 0.1)) * 10) / 10,
      };
      process.stderr.write(
        `[bench] ${name}: FINAL p50 ${final.p50} ms, p95 ${final.p95} ms; plain p95 ${plain.p95} ms\n`,
      );
    }
    const worstP95 = Math.max(
      ...Object.values(results).map((r: any) => r.finalMs.p95),
    );
    const out = {
      benchmark:
        'dashboard queries on the speed layer (ClickHouse, rendered DDL)',
      date: new Date().toISOString(),
      machine: `${os.cpus().length} x ${os.cpus()[0]?.model}, ${Math.round(
        os.totalmem() / 2 ** 30,
      )} GiB`,
      rows: ROWS,
      fillSeconds: Math.round(fillMs / 100) / 10,
      runsPerQuery: RUNS,
      queries: results,
      worstFinalP95Ms: worstP95,
      subSecond: worstP95 < 1000,
    };
    if (process.env.LP_BENCH_OUT)
      fs.writeFileSync(
        process.env.LP_BENCH_OUT,
        `${JSON.stringify(out, null, 2)}\n`,
      );
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    await clickhouse(env, `DROP DATABASE IF EXISTS ${t.split('.')[0]}`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
