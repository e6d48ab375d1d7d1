import fs from 'fs';
import os from 'os';
import path from 'path';
import { RenderResult } from './render';

/**
 * Debezium change events (schemaless JSON, as the rendered CDC connector
 * writes them) for the tables of a rendered pipeline, with the state both
 * layers must end up in.
 */

export type JobsColumn = {
  name: string;
  nullable: boolean;
  spark: string;
  debezium: string;
};
export type JobsTable = {
  source: string;
  topic: string;
  clickhouseTable: string;
  snowflakeTable: string;
  icebergTable: string;
  snowflakeStagingTable: string;
  primaryKey: string[];
  measures: string[];
  columns: JobsColumn[];
};

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
export function exactSum(values: unknown[], scale: number): string {
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

export type Expected = {
  events: Array<{ key: string; value: string }>;
  poison: Array<{ key: string; value: string }>;
  live: number;
  deleted: number;
  measureSums: Record<string, string>;
};

/** Inserts, updates and deletes for `keys` rows, plus three poison events. */
export function changeEvents(
  table: JobsTable,
  keys: number,
  lsn: { next: number },
) {
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

/** Writes one rendered repository (`platform` or `dags`) to a temporary directory; returns its root. */
export function renderedRepo(
  result: RenderResult,
  repo: 'platform' | 'dags',
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lp-${repo}-`));
  for (const f of result.files.filter(x => x.path.startsWith(`${repo}/`))) {
    const target = path.join(dir, f.path.slice(repo.length + 1));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content);
  }
  return dir;
}

/** Writes the rendered platform repository to a temporary directory. */
export function renderedPlatform(result: RenderResult): {
  dir: string;
  jobsDir: string;
  jobs: any;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-jobs-'));
  for (const f of result.files.filter(x => x.path.startsWith('platform/'))) {
    const target = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content);
  }
  const jobsDir = path.join(dir, 'platform/jobs');
  const jobs = JSON.parse(
    fs.readFileSync(path.join(jobsDir, 'pipeline.json'), 'utf8'),
  );
  return { dir, jobsDir, jobs };
}

/**
 * Form values whose pipeline name and Snowflake schema carry `tag`, so test
 * files running at the same time (Jest workers) never share a topic, a
 * ClickHouse database, an Iceberg table or a Snowflake table.
 */
export function isolated(
  values: { name: string; snowflakeSchema: string },
  tag: string,
): Record<string, unknown> {
  return {
    ...values,
    name: `${values.name}-${tag}`,
    snowflakeSchema: `${values.snowflakeSchema}_${tag.toUpperCase()}`,
  };
}
