// Arrow -> Snowflake JSON rowset transcoding.
//
// fakesnow answers SELECTs with an Arrow IPC stream (`rowsetBase64`), the way
// Snowflake does for drivers that ask for Arrow. The Node driver only reads the
// JSON result format: `rowset` is an array of rows, each an array of strings
// (or null), and the driver converts every string according to the column's
// `rowtype` entry. This module produces those strings.
//
// Encodings of the JSON result format, by rowtype `type`:
//   fixed          decimal text with `scale` fraction digits ("12.34", "-5")
//   real           JS number text ("1.5", "NaN", "Infinity")
//   text, variant, object, array   the text as is (semi-structured as JSON text)
//   boolean        "1" or "0"
//   date           days since 1970-01-01 ("19724")
//   time           seconds since midnight with `scale` fraction digits
//   timestamp_ntz, timestamp_ltz   seconds since the epoch with `scale`
//                  fraction digits ("1704164645.123456000")
//   timestamp_tz   the same, a space, and the UTC offset in minutes + 1440
//                  ("1704164645.123456000 1440"); the driver reads it like
//                  this when the result `version` is not 0
//   binary         upper-case hex
//
// Pure logic only (no I/O), shared by the server and its unit tests.
import { tableFromIPC, Type } from 'apache-arrow';

export type RowtypeColumn = {
  name: string;
  type: string;
  scale?: number | null;
  precision?: number | null;
  [key: string]: unknown;
};

export type JsonRowset = (string | null)[][];

const NANOS_PER_SECOND = 1_000_000_000n;
const MS_PER_DAY = 86_400_000;

/** An integer count of 10^-scale units, written as a decimal with `scale` digits. */
export function scaledToDecimal(units: bigint, scale: number): string {
  if (scale <= 0) return units.toString();
  const negative = units < 0n;
  const digits = (negative ? -units : units)
    .toString()
    .padStart(scale + 1, '0');
  const text = `${digits.slice(0, digits.length - scale)}.${digits.slice(
    digits.length - scale,
  )}`;
  return negative ? `-${text}` : text;
}

/** Nanoseconds (since the epoch or midnight) as seconds with `scale` fraction digits. */
export function nanosToSeconds(nanos: bigint, scale: number): string {
  const clamped = Math.max(0, Math.min(9, scale));
  const divisor = 10n ** BigInt(9 - clamped);
  // floor division, so that negative instants round towards the past
  let units = nanos / divisor;
  if (nanos % divisor !== 0n && nanos < 0n) units -= 1n;
  return scaledToDecimal(units, clamped);
}

function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  return BigInt(String(value));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('hex')
    .toUpperCase();
}

/** The rowtype's scale for time and timestamp columns (Snowflake's default is 9). */
function timeScale(column: RowtypeColumn): number {
  return typeof column.scale === 'number' ? column.scale : 9;
}

const DATE_TEXT = /^(-?\d{4,})-(\d{2})-(\d{2})$/;
const TIMESTAMP_TEXT =
  /^(-?\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(?:(Z)|([+-])(\d{2}):?(\d{2}))?$/;
const TIME_TEXT = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** Fallbacks for engines that return a temporal value as text (e.g. a UNION with an untyped NULL). */
function dateTextToDays(text: string): string {
  const m = DATE_TEXT.exec(text.trim());
  if (!m) return text;
  return String(
    Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / MS_PER_DAY,
  );
}

function timestampTextToNanos(
  text: string,
): { nanos: bigint; offsetMinutes: number } | undefined {
  const m = TIMESTAMP_TEXT.exec(text.trim());
  if (!m) return undefined;
  const seconds =
    Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
    ) / 1000;
  const fraction = BigInt((m[7] ?? '').padEnd(9, '0'));
  const offsetMinutes = m[9]
    ? (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]))
    : 0;
  return {
    nanos: BigInt(seconds - offsetMinutes * 60) * NANOS_PER_SECOND + fraction,
    offsetMinutes,
  };
}

function timeTextToNanos(text: string): bigint | undefined {
  const m = TIME_TEXT.exec(text.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return (
    BigInt(seconds) * NANOS_PER_SECOND + BigInt((m[4] ?? '').padEnd(9, '0'))
  );
}

/** Arrow timestamp/time units to nanoseconds. */
const UNIT_NANOS = [1_000_000_000n, 1_000_000n, 1_000n, 1n]; // SECOND, MILLISECOND, MICROSECOND, NANOSECOND

type ArrowLike = {
  typeId: number;
  scale?: number;
  unit?: number;
  timezone?: string | null;
};

/**
 * Encodes one non-null Arrow value of a column as the JSON result format
 * string for the column's Snowflake type. Returns null for values that
 * Snowflake would report as NULL (e.g. fakesnow's timestamp structs with a
 * null epoch).
 */
export function encodeValue(
  value: unknown,
  arrowType: ArrowLike,
  column: RowtypeColumn,
): string | null {
  const sfType = String(column.type).toLowerCase();
  const typeId = arrowType.typeId;

  switch (sfType) {
    case 'fixed': {
      if (typeId === Type.Decimal) {
        // apache-arrow gives the unscaled integer; the scale lives on the type
        return scaledToDecimal(BigInt(String(value)), arrowType.scale ?? 0);
      }
      if (typeof value === 'number' && !Number.isInteger(value)) {
        // a float in a NUMBER(p,s) column: fixed notation with the rowtype's scale
        return value.toFixed(column.scale ?? 0);
      }
      if (typeof value === 'boolean') return value ? '1' : '0';
      return toBigInt(value).toString();
    }
    case 'real':
      return typeof value === 'number'
        ? String(value)
        : String(Number(String(value)));
    case 'boolean':
      if (typeof value === 'boolean') return value ? '1' : '0';
      return ['true', '1', 't', 'yes'].includes(String(value).toLowerCase())
        ? '1'
        : '0';
    case 'date': {
      if (value instanceof Date)
        return String(Math.floor(value.getTime() / MS_PER_DAY));
      if (typeof value === 'string') return dateTextToDays(value);
      if (typeId === Type.Date) {
        // DateDay and DateMillisecond both come back as epoch milliseconds
        return String(Math.floor(Number(value) / MS_PER_DAY));
      }
      return String(value);
    }
    case 'time': {
      const scale = timeScale(column);
      if (typeof value === 'string') {
        const nanos = timeTextToNanos(value);
        return nanos === undefined ? value : nanosToSeconds(nanos, scale);
      }
      // fakesnow sends TIME as int64 nanoseconds; native Arrow times carry a unit
      const unitNanos =
        typeId === Type.Time ? UNIT_NANOS[arrowType.unit ?? 3] : 1n;
      return nanosToSeconds(toBigInt(value) * unitNanos, scale);
    }
    case 'timestamp_ntz':
    case 'timestamp_ltz':
    case 'timestamp_tz': {
      const scale = timeScale(column);
      let nanos: bigint;
      let tzIndex = 1440; // UTC
      if (typeId === Type.Struct) {
        // Snowflake's Arrow layout: {epoch: seconds, fraction: nanoseconds, timezone?: offset + 1440}
        const struct = value as {
          epoch?: unknown;
          fraction?: unknown;
          timezone?: unknown;
        };
        if (struct.epoch === null || struct.epoch === undefined) return null;
        nanos =
          toBigInt(struct.epoch) * NANOS_PER_SECOND +
          toBigInt(struct.fraction ?? 0);
        if (struct.timezone !== null && struct.timezone !== undefined)
          tzIndex = Number(struct.timezone);
      } else if (typeId === Type.Timestamp) {
        // apache-arrow reads native timestamps as epoch milliseconds (a number),
        // or as the raw count in the type's unit (a bigint)
        nanos =
          typeof value === 'number'
            ? BigInt(Math.round(value * 1000)) * 1000n
            : toBigInt(value) * UNIT_NANOS[arrowType.unit ?? 1];
      } else if (value instanceof Date) {
        nanos = BigInt(value.getTime()) * 1_000_000n;
      } else if (typeof value === 'string') {
        const parsed = timestampTextToNanos(value);
        if (!parsed) return value;
        nanos = parsed.nanos;
        tzIndex = parsed.offsetMinutes + 1440;
      } else {
        nanos = toBigInt(value) * NANOS_PER_SECOND;
      }
      const seconds = nanosToSeconds(nanos, scale);
      return sfType === 'timestamp_tz' ? `${seconds} ${tzIndex}` : seconds;
    }
    case 'binary':
      if (value instanceof Uint8Array) return hex(value);
      return String(value);
    default:
      // text, variant, object, array, map and anything new
      if (typeof value === 'string') return value;
      if (value instanceof Uint8Array) return hex(value);
      if (
        typeof value === 'bigint' ||
        typeof value === 'number' ||
        typeof value === 'boolean'
      ) {
        return String(value);
      }
      return JSON.stringify(value, (_key, v) =>
        typeof v === 'bigint' ? v.toString() : v,
      );
  }
}

/** Decodes a base64 Arrow IPC stream into a JSON rowset following `rowtype`. */
export function arrowToRowset(
  rowsetBase64: string | undefined | null,
  rowtype: RowtypeColumn[],
): JsonRowset {
  if (!rowsetBase64) return [];
  const table = tableFromIPC(Buffer.from(rowsetBase64, 'base64'));
  if (table.numCols !== rowtype.length) {
    throw new Error(
      `Arrow result has ${table.numCols} columns but rowtype describes ${rowtype.length}`,
    );
  }
  const rows: JsonRowset = Array.from({ length: table.numRows }, () =>
    new Array(rowtype.length).fill(null),
  );
  for (let c = 0; c < table.numCols; c++) {
    const vector = table.getChildAt(c);
    if (!vector) continue;
    const arrowType = vector.type as unknown as ArrowLike;
    const column = rowtype[c];
    for (let r = 0; r < table.numRows; r++) {
      if (!vector.isValid(r)) continue;
      const value = vector.get(r);
      if (value === null || value === undefined) continue;
      rows[r][c] = encodeValue(value, arrowType, column);
    }
  }
  return rows;
}
