import { parseNumericType } from './columns';

/**
 * How Debezium (JSON converter without schemas, `decimal.handling.mode=string`,
 * `time.precision.mode=adaptive_time_microseconds`) writes a column's value:
 * the Spark jobs decode every layer's copy from this, the same way.
 */
export type DebeziumEncoding =
  /** JSON number (integers, floats). */
  | 'number'
  | 'boolean'
  | 'string'
  /** Exact decimal as a string, e.g. "1234.50". */
  | 'decimal-string'
  /** Days since 1970-01-01. */
  | 'epoch-days'
  /** Microseconds since 1970-01-01T00:00 (no time zone). */
  | 'epoch-micros'
  /** ISO-8601 instant in UTC, e.g. "2026-11-25T10:00:00.123456Z". */
  | 'iso-instant';

/**
 * How a source column's PostgreSQL type is carried into each layer. One table
 * for the whole product: the ClickHouse and Snowflake DDL, the Spark schemas
 * and the reconciliation queries all read it, so sums and fingerprints
 * compare like with like.
 */
export interface LayerTypes {
  postgres: string;
  clickhouse: string;
  snowflake: string;
  /** Spark SQL type (also the Iceberg type through Spark). */
  spark: string;
  /** How the value arrives in the CDC events. */
  debezium: DebeziumEncoding;
}

const SIMPLE: Record<string, Omit<LayerTypes, 'postgres'>> = {
  smallint: {
    clickhouse: 'Int16',
    snowflake: 'SMALLINT',
    spark: 'SMALLINT',
    debezium: 'number',
  },
  integer: {
    clickhouse: 'Int32',
    snowflake: 'INTEGER',
    spark: 'INT',
    debezium: 'number',
  },
  bigint: {
    clickhouse: 'Int64',
    snowflake: 'BIGINT',
    spark: 'BIGINT',
    debezium: 'number',
  },
  real: {
    clickhouse: 'Float32',
    snowflake: 'FLOAT',
    spark: 'FLOAT',
    debezium: 'number',
  },
  'double precision': {
    clickhouse: 'Float64',
    snowflake: 'DOUBLE',
    spark: 'DOUBLE',
    debezium: 'number',
  },
  boolean: {
    clickhouse: 'Bool',
    snowflake: 'BOOLEAN',
    spark: 'BOOLEAN',
    debezium: 'boolean',
  },
  text: {
    clickhouse: 'String',
    snowflake: 'VARCHAR',
    spark: 'STRING',
    debezium: 'string',
  },
  date: {
    clickhouse: 'Date32',
    snowflake: 'DATE',
    spark: 'DATE',
    debezium: 'epoch-days',
  },
  // Debezium sends timestamps as microseconds; keep that precision everywhere.
  timestamp: {
    clickhouse: 'DateTime64(6)',
    snowflake: 'TIMESTAMP_NTZ(6)',
    spark: 'TIMESTAMP_NTZ',
    debezium: 'epoch-micros',
  },
  timestamptz: {
    clickhouse: "DateTime64(6, 'UTC')",
    snowflake: 'TIMESTAMP_TZ(6)',
    spark: 'TIMESTAMP',
    debezium: 'iso-instant',
  },
  uuid: {
    clickhouse: 'UUID',
    snowflake: 'VARCHAR(36)',
    spark: 'STRING',
    debezium: 'string',
  },
  // JSON stays text in the speed layer and becomes VARIANT in Snowflake.
  jsonb: {
    clickhouse: 'String',
    snowflake: 'VARIANT',
    spark: 'STRING',
    debezium: 'string',
  },
};

/** The type of a (valid) source column in every layer. */
export function layerTypes(postgresType: string): LayerTypes {
  const simple = SIMPLE[postgresType];
  if (simple) {
    return { postgres: postgresType, ...simple };
  }
  const numeric = parseNumericType(postgresType);
  if (numeric) {
    const { precision, scale } = numeric;
    return {
      postgres: postgresType,
      // Decimal (not Float) so sums match the batch layer to the cent.
      clickhouse: `Decimal(${precision}, ${scale})`,
      snowflake: `NUMBER(${precision}, ${scale})`,
      spark: `DECIMAL(${precision},${scale})`,
      debezium: 'decimal-string',
    };
  }
  const varchar = /^varchar\((\d+)\)$/.exec(postgresType);
  if (varchar) {
    return {
      postgres: postgresType,
      clickhouse: 'String',
      snowflake: `VARCHAR(${varchar[1]})`,
      spark: 'STRING',
      debezium: 'string',
    };
  }
  throw new Error(`unsupported column type '${postgresType}'`);
}
