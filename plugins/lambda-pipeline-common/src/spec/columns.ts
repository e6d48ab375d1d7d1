/**
 * Column types a source table may declare. They are the PostgreSQL types the
 * generated pipeline knows how to carry into Spark, ClickHouse, Iceberg and
 * Snowflake without loss; the mappings live next to the skeletons.
 */
export const SIMPLE_COLUMN_TYPES = [
  'smallint',
  'integer',
  'bigint',
  'real',
  'double precision',
  'boolean',
  'text',
  'date',
  'timestamp',
  'timestamptz',
  'uuid',
  'jsonb',
] as const;

const NUMERIC = /^numeric\((\d{1,2}),\s?(\d{1,2})\)$/;
const VARCHAR = /^varchar\((\d{1,5})\)$/;

/** Parsed `numeric(p,s)` or undefined. */
export function parseNumericType(
  type: string,
): { precision: number; scale: number } | undefined {
  const match = NUMERIC.exec(type);
  if (!match) {
    return undefined;
  }
  return { precision: Number(match[1]), scale: Number(match[2]) };
}

/** Explains what is wrong with a column type, or returns undefined when it is valid. */
export function columnTypeProblem(type: string): string | undefined {
  if ((SIMPLE_COLUMN_TYPES as readonly string[]).includes(type)) {
    return undefined;
  }
  const numeric = parseNumericType(type);
  if (numeric) {
    if (numeric.precision < 1 || numeric.precision > 38) {
      return `numeric precision must be 1..38 (Snowflake's limit), got ${numeric.precision}`;
    }
    if (numeric.scale > numeric.precision) {
      return `numeric scale ${numeric.scale} is larger than its precision ${numeric.precision}`;
    }
    return undefined;
  }
  const varchar = VARCHAR.exec(type);
  if (varchar) {
    return Number(varchar[1]) >= 1
      ? undefined
      : 'varchar length must be at least 1';
  }
  return `unsupported type '${type}'; use one of ${SIMPLE_COLUMN_TYPES.join(
    ', ',
  )}, numeric(p,s) or varchar(n)`;
}

/** Exact numeric types: sums compare exactly between the two layers. */
export function isExactNumericType(type: string): boolean {
  return (
    type === 'smallint' ||
    type === 'integer' ||
    type === 'bigint' ||
    parseNumericType(type) !== undefined
  );
}

export function isTimestampType(type: string): boolean {
  return type === 'timestamp' || type === 'timestamptz';
}

/** Types that can be part of a primary key carried through every layer. */
export function isKeyableType(type: string): boolean {
  return !['real', 'double precision', 'jsonb'].includes(type);
}
