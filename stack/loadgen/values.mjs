// Values for the load generator: rows for PostgreSQL by column type (as the
// spec declares it), and Debezium's schemaless JSON encoding of the same
// values by the plan's `debezium` kind (jobs/pipeline.json), for producing
// change events straight to Kafka.
import { randomUUID } from 'node:crypto';

const STATUSES = ['NEW', 'PAID', 'PACKED', 'SHIPPED', 'DELIVERED', 'CANCELLED'];
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];

/** A small deterministic generator, so a run can be repeated (xorshift32). */
export function random(seed = 1) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: list => list[Math.floor(next() * list.length)],
  };
}

/** The PostgreSQL type of a spec column, split into its name and arguments: `numeric(12,2)` -> numeric, [12, 2]. */
export function parseType(type) {
  const match =
    /^\s*([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*(\[\])?\s*$/i.exec(
      type,
    );
  if (!match) throw new Error(`unsupported column type '${type}'`);
  return {
    name: match[1].toLowerCase().replace(/\s+/g, ' '),
    args: [match[2], match[3]].filter(Boolean).map(Number),
    array: Boolean(match[4]),
  };
}

const INTEGER = new Set([
  'smallint',
  'int2',
  'integer',
  'int',
  'int4',
  'bigint',
  'int8',
]);

/** Whether a key column can take sequential values (1, 2, 3...). */
export const isIntegerType = type => INTEGER.has(parseType(type).name);

/**
 * A value of `type` for a column, as a JavaScript value the `pg` driver sends
 * (numbers, strings for decimals, Date for times). `n` is the row's sequence
 * number: key columns are derived from it, so keys are unique.
 */
export function valueFor(
  column,
  n,
  rng,
  { key = false, now = new Date() } = {},
) {
  const { name, args } = parseType(column.type);
  switch (name) {
    case 'smallint':
    case 'int2':
      return key ? n % 32_000 : rng.int(0, 1000);
    case 'integer':
    case 'int':
    case 'int4':
      return key ? n : rng.int(0, 100);
    case 'bigint':
    case 'int8':
      return key ? n : rng.int(1, 100_000);
    case 'numeric':
    case 'decimal': {
      const [precision = 12, scale = 2] = args;
      const digits = Math.min(precision - scale, 6);
      const whole = rng.int(0, 10 ** Math.max(digits, 0) - 1);
      const frac =
        scale > 0
          ? `.${String(rng.int(0, 10 ** Math.min(scale, 6) - 1)).padStart(
              Math.min(scale, 6),
              '0',
            )}`
          : '';
      return key ? String(n) : `${whole}${frac}`;
    }
    case 'real':
    case 'float4':
    case 'double precision':
    case 'float8':
      return Math.round(rng.next() * 1e6) / 100;
    case 'boolean':
    case 'bool':
      return rng.next() < 0.5;
    case 'date':
      return now.toISOString().slice(0, 10);
    case 'timestamp':
    case 'timestamp without time zone':
    case 'timestamptz':
    case 'timestamp with time zone':
      return now;
    case 'uuid':
      return key
        ? `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
        : randomUUID();
    case 'json':
    case 'jsonb':
      return JSON.stringify({ n, word: rng.pick(WORDS) });
    case 'varchar':
    case 'character varying':
    case 'char':
    case 'character':
    case 'text': {
      const limit = args[0] ?? 64;
      const text = key
        ? `k${n}`
        : column.name === 'status'
        ? rng.pick(STATUSES)
        : `${rng.pick(WORDS)}-${rng.int(0, 9999)}`;
      return text.slice(0, limit);
    }
    default:
      throw new Error(
        `the load generator cannot make values of type '${column.type}' (column ${column.name})`,
      );
  }
}

const EPOCH_DAY = 86_400_000;

/**
 * A value as Debezium's JSON converter (schemas disabled) writes it for the
 * plan's `debezium` kind: numbers, booleans, decimals as strings
 * (`decimal.handling.mode=string`), dates as epoch days, timestamps as epoch
 * microseconds, timestamptz as ISO instants, everything else as text.
 */
export function debeziumValue(kind, value) {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'number':
      return Number(value);
    case 'boolean':
      return Boolean(value);
    case 'decimal-string':
      return String(value);
    case 'epoch-days':
      return Math.floor(new Date(value).getTime() / EPOCH_DAY);
    case 'epoch-micros':
      return new Date(value).getTime() * 1000;
    case 'iso-instant':
      return new Date(value).toISOString();
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}
