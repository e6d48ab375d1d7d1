import {
  ConsistencyRun,
  ConsistencyWindow,
  PipelineConsistencyResponse,
  WindowFigures,
  WindowStatus,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { chIdent, Probes } from './observe';
import { MonitoredDataset, MonitorTargets } from './targets';

/*
 * Reconciliation between the speed layer (ClickHouse) and the batch layer
 * (Snowflake), computed the same way as the DAG repository's
 * `lambda_pipeline/reconciliation.py`: per source table and event-time
 * window, over the latest version of every key, both engines reduce their
 * rows to live rows, distinct keys, deletes, exact sums of the measures and
 * the XOR of the row fingerprints. Only those few figures per window leave
 * the engines. A window is closed (judged exactly) once its end plus the
 * allowed lateness is before the batch watermark.
 */

const EMPTY: WindowFigures = {
  rows: 0,
  distinctKeys: 0,
  deleted: 0,
  fingerprintXor: '0',
  sums: {},
};

/** Two's complement 64-bit, as ClickHouse's Int64 XOR; Snowflake may answer unsigned. */
function signed64(value: string): string {
  const big = BigInt(value) & ((1n << 64n) - 1n);
  return (big >= 1n << 63n ? big - (1n << 64n) : big).toString();
}

/** Exact decimal normalisation for comparison (no float): trims trailing zeros. */
function decimal(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '0';
  const text = String(value).trim();
  if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) return text;
  if (/e/i.test(text)) return decimal(Number(text).toFixed(20));
  const [int, frac = ''] = text.split('.');
  const trimmed = frac.replace(/0+$/, '');
  const whole = int.replace(/^(-?)0+(?=\d)/, '$1');
  const result = trimmed ? `${whole}.${trimmed}` : whole;
  return result === '-0' ? '0' : result;
}

/**
 * The speed layer's figures per window. `FINAL` gives the latest version of
 * every key the way ReplacingMergeTree(_lsn, _is_deleted) merges (ordered by
 * the primary key), reading sorted parts instead of hashing every key
 * (measured 40x faster than grouping by key at 10M rows), and leaves out
 * keys whose latest version is a delete; those are counted on their own, over
 * the few keys that have a delete at all. With one row per key, distinct
 * keys equal live rows.
 */
async function clickhouseWindows(
  probes: Probes,
  t: MonitorTargets,
  d: MonitoredDataset,
  windowSeconds: number,
  since: number,
) {
  const table = chIdent(d.clickhouseTable);
  const keys = d.primaryKey.map(chIdent).join(', ');
  const eventTime = chIdent(d.eventTimeColumn);
  const windowOf = (column: string) =>
    `toString(intDiv(toUnixTimestamp(toDateTime(${column}, 'UTC')), {w:UInt32}) * {w:UInt32})`;
  const sums = d.measures
    .map((m, i) => `, toString(sum(${chIdent(m.name)})) AS sum${i}`)
    .join('');
  const [live, deletes] = await Promise.all([
    probes.clickhouse.query<Record<string, string>>(
      t.environment,
      `SELECT ${windowOf(eventTime)} AS window_start, toString(count()) AS rows,
              toString(groupBitXor(_fingerprint)) AS fingerprint_xor${sums}
         FROM ${table} FINAL
        WHERE toUnixTimestamp(toDateTime(${eventTime}, 'UTC')) >= {since:Int64}
        GROUP BY window_start`,
      { w: windowSeconds, since },
    ),
    probes.clickhouse.query<Record<string, string>>(
      t.environment,
      `SELECT ${windowOf(
        'et',
      )} AS window_start, toString(count()) AS deleted_rows
         FROM (SELECT argMax(${eventTime}, _lsn) AS et, argMax(_is_deleted, _lsn) AS deleted
                 FROM ${table}
                WHERE (${keys}) IN (SELECT ${keys} FROM ${table} WHERE _is_deleted = 1)
                GROUP BY ${keys})
        WHERE deleted = 1 AND toUnixTimestamp(toDateTime(et, 'UTC')) >= {since:Int64}
        GROUP BY window_start`,
      { w: windowSeconds, since },
    ),
  ]);
  const out = new Map<number, WindowFigures>();
  const empty = (): WindowFigures => ({
    rows: 0,
    distinctKeys: 0,
    deleted: 0,
    fingerprintXor: '0',
    sums: Object.fromEntries(d.measures.map(m => [m.name, '0'])),
  });
  for (const r of live) {
    out.set(Number(r.window_start), {
      rows: Number(r.rows),
      distinctKeys: Number(r.rows),
      deleted: 0,
      fingerprintXor: signed64(r.fingerprint_xor),
      sums: Object.fromEntries(
        d.measures.map((m, i) => [m.name, decimal(r[`sum${i}`])]),
      ),
    });
  }
  for (const r of deletes) {
    const start = Number(r.window_start);
    const figures = out.get(start) ?? empty();
    figures.deleted = Number(r.deleted_rows);
    out.set(start, figures);
  }
  return out;
}

async function snowflakeWindows(
  probes: Probes,
  t: MonitorTargets,
  d: MonitoredDataset,
  windowSeconds: number,
  since: number,
) {
  const et = d.eventTimeColumn.toUpperCase();
  const [first, ...others] = d.primaryKey.map(k => k.toUpperCase());
  // Sums widened to NUMBER(38, s) first: exact in Snowflake (and the emulator would otherwise sum decimals as doubles).
  const sums = d.measures
    .map(
      (m, i) =>
        `, TO_VARCHAR(SUM(IFF(NOT _IS_DELETED, ${m.name.toUpperCase()}, NULL)::NUMBER(38, ${
          m.scale
        }))) AS SUM${i}`,
    )
    .join('');
  const rows = await probes.snowflake.query<Record<string, any>>(
    t.environment,
    `SELECT FLOOR(DATE_PART(EPOCH_SECOND, ${et}) / ${windowSeconds}) * ${windowSeconds} AS WINDOW_START,
            COUNT_IF(NOT _IS_DELETED) AS ROWS_,
            COUNT(DISTINCT IFF(NOT _IS_DELETED, ${first}, NULL)${others
      .map(k => `, ${k}`)
      .join('')}) AS DISTINCT_KEYS,
            COUNT_IF(_IS_DELETED) AS DELETED_ROWS,
            TO_VARCHAR(BITXOR_AGG(IFF(NOT _IS_DELETED, _FINGERPRINT, NULL))) AS FINGERPRINT_XOR${sums}
       FROM ${d.snowflakeTable}
      WHERE DATE_PART(EPOCH_SECOND, ${et}) >= ?
      GROUP BY 1 ORDER BY 1`,
    [since],
  );
  const out = new Map<number, WindowFigures>();
  for (const r of rows) {
    out.set(Number(r.WINDOW_START), {
      rows: Number(r.ROWS_),
      distinctKeys: Number(r.DISTINCT_KEYS),
      deleted: Number(r.DELETED_ROWS),
      fingerprintXor: signed64(String(r.FINGERPRINT_XOR ?? '0')),
      sums: Object.fromEntries(
        d.measures.map((m, i) => [m.name, decimal(r[`SUM${i}`])]),
      ),
    });
  }
  return out;
}

/** What differs between the layers' figures of one window (names and both values). */
export function differencesOf(
  speed: WindowFigures,
  batch: WindowFigures,
): string[] {
  const out: string[] = [];
  const check = (name: string, a: string | number, b: string | number) => {
    if (String(a) !== String(b)) out.push(`${name} ${a} vs ${b}`);
  };
  check('rows', speed.rows, batch.rows);
  check('distinct keys', speed.distinctKeys, batch.distinctKeys);
  check('deleted', speed.deleted, batch.deleted);
  check('fingerprint xor', speed.fingerprintXor, batch.fingerprintXor);
  for (const m of [
    ...new Set([...Object.keys(speed.sums), ...Object.keys(batch.sums)]),
  ].sort()) {
    check(`sum ${m}`, speed.sums[m] ?? '0', batch.sums[m] ?? '0');
  }
  return out;
}

/** Consistent when equal; otherwise diverged if closed, converging while open (noting a gap beyond the tolerance). */
export function judgeWindow(
  speed: WindowFigures,
  batch: WindowFigures,
  closed: boolean,
  tolerance: number,
): { status: WindowStatus; differences: string[] } {
  const differences = differencesOf(speed, batch);
  if (differences.length === 0) return { status: 'consistent', differences };
  if (closed) return { status: 'diverged', differences };
  const gap = Math.abs(speed.rows - batch.rows) / Math.max(speed.rows, 1);
  return {
    status: 'converging',
    differences:
      gap > tolerance
        ? [
            ...differences,
            `row gap ${(gap * 100).toFixed(1)}% beyond the ${(
              tolerance * 100
            ).toFixed(1)}% tolerance`,
          ]
        : differences,
  };
}

export const REPAIR =
  'Replay the window’s Kafka offsets into the speed layer, or re-run the batch load from the window’s Iceberg snapshot; ' +
  'an incremental snapshot through the Debezium signal table re-reads the source rows.';

/**
 * Reconciles every table of the pipeline over the look-back period, with
 * the aggregates pushed into ClickHouse and Snowflake.
 */
export async function checkConsistency(
  probes: Probes,
  entityRef: string,
  t: MonitorTargets,
  now: Date = new Date(),
): Promise<Omit<PipelineConsistencyResponse, 'history'>> {
  const {
    windowMinutes,
    allowedLatenessMinutes,
    openWindowTolerance,
    lookbackWindows,
  } = t.reconciliation;
  const windowSeconds = windowMinutes * 60;
  const since =
    Math.floor(now.getTime() / 1000 / windowSeconds) * windowSeconds -
    windowSeconds * lookbackWindows;
  const marks = await probes.snowflake.query<Record<string, any>>(
    t.environment,
    `SELECT TABLE_NAME, DATE_PART(EPOCH_MILLISECOND, MAX(EVENT_TIME_COMPLETE_UP_TO)) AS COMPLETE_MS FROM ${t.watermarkTable} GROUP BY TABLE_NAME`,
  );
  const watermarkOf = new Map(
    marks.map(m => [
      m.TABLE_NAME as string,
      m.COMPLETE_MS === null ? null : Number(m.COMPLETE_MS),
    ]),
  );
  const windows: ConsistencyWindow[] = [];
  for (const d of t.datasets) {
    const [speed, batch] = await Promise.all([
      clickhouseWindows(probes, t, d, windowSeconds, since),
      snowflakeWindows(probes, t, d, windowSeconds, since),
    ]);
    const watermark = watermarkOf.get(d.source) ?? null;
    for (const start of [...new Set([...speed.keys(), ...batch.keys()])].sort(
      (a, b) => a - b,
    )) {
      const end = start + windowSeconds;
      const closed =
        watermark !== null &&
        (end + allowedLatenessMinutes * 60) * 1000 <= watermark;
      const s = speed.get(start) ?? null;
      const b = batch.get(start) ?? null;
      const judged = judgeWindow(
        s ?? EMPTY,
        b ?? EMPTY,
        closed,
        openWindowTolerance,
      );
      windows.push({
        table: d.source,
        windowStart: new Date(start * 1000).toISOString(),
        windowEnd: new Date(end * 1000).toISOString(),
        closed,
        status: judged.status,
        speed: s,
        batch: b,
        differences: judged.differences,
      });
    }
  }
  const count = (status: WindowStatus) =>
    windows.filter(w => w.status === status).length;
  const diverged = windows.filter(w => w.status === 'diverged');
  let status: WindowStatus = 'consistent';
  if (diverged.length > 0) status = 'diverged';
  else if (count('converging') > 0) status = 'converging';
  // The batch layer is complete up to the oldest of its tables' watermarks.
  const completes = [...watermarkOf.values()].filter(
    (x): x is number => x !== null,
  );
  const batchWatermark =
    completes.length === t.datasets.length && completes.length > 0
      ? Math.min(...completes)
      : null;
  return {
    entityRef,
    environment: t.environment,
    status,
    reason: consistencyReason(status, windows, t),
    checkedAt: now.toISOString(),
    batchWatermark:
      batchWatermark === null ? null : new Date(batchWatermark).toISOString(),
    judgedUpTo:
      batchWatermark === null
        ? null
        : new Date(
            batchWatermark - allowedLatenessMinutes * 60_000,
          ).toISOString(),
    windowMinutes,
    windows,
    ...(status === 'diverged' ? { repair: REPAIR } : {}),
  };
}

function consistencyReason(
  status: WindowStatus,
  windows: ConsistencyWindow[],
  t: MonitorTargets,
): string {
  const { lookbackWindows, windowMinutes } = t.reconciliation;
  const count = (s: WindowStatus) => windows.filter(w => w.status === s).length;
  if (status === 'diverged') {
    const diverged = windows.filter(w => w.status === 'diverged');
    const named = diverged
      .slice(0, 5)
      .map(w => `${w.table} ${w.windowStart} (${w.differences.join('; ')})`)
      .join(', ');
    return `${diverged.length} closed window(s) differ: ${named}${
      diverged.length > 5 ? ', …' : ''
    }`;
  }
  if (status === 'converging') {
    return `${count('consistent')} window(s) agree; ${count(
      'converging',
    )} are open and still converging (the batch layer catches up at its next load)`;
  }
  return windows.length === 0
    ? `no data in the last ${lookbackWindows} windows of ${windowMinutes} min`
    : `all ${windows.length} window(s) agree`;
}

export function runOf(
  result: Omit<PipelineConsistencyResponse, 'history'>,
): ConsistencyRun {
  const count = (status: WindowStatus) =>
    result.windows.filter(w => w.status === status).length;
  return {
    checkedAt: result.checkedAt,
    status: result.status,
    consistent: count('consistent'),
    converging: count('converging'),
    diverged: count('diverged'),
  };
}
