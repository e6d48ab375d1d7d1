import { parseNumericType } from './columns';

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
}

const SIMPLE: Record<string, Omit<LayerTypes, 'postgres'>> = {
  smallint: { clickhouse: 'Int16', snowflake: 'SMALLINT', spark: 'SMALLINT' },
  integer: { clickhouse: 'Int32', snowflake: 'INTEGER', spark: 'INT' },
  bigint: { clickhouse: 'Int64', snowflake: 'BIGINT', spark: 'BIGINT' },
  real: { clickhouse: 'Float32', snowflake: 'FLOAT', spark: 'FLOAT' },
  'double precision': {
    clickhouse: 'Float64',
    snowflake: 'DOUBLE',
    spark: 'DOUBLE',
  },
  boolean: { clickhouse: 'Bool', snowflake: 'BOOLEAN', spark: 'BOOLEAN' },
  text: { clickhouse: 'String', snowflake: 'VARCHAR', spark: 'STRING' },
  date: { clickhouse: 'Date32', snowflake: 'DATE', spark: 'DATE' },
  // Debezium sends timestamps as microseconds; keep that precision everywhere.
  timestamp: {
    clickhouse: 'DateTime64(6)',
    snowflake: 'TIMESTAMP_NTZ(6)',
    spark: 'TIMESTAMP_NTZ',
  },
  timestamptz: {
    clickhouse: "DateTime64(6, 'UTC')",
    snowflake: 'TIMESTAMP_TZ(6)',
    spark: 'TIMESTAMP',
  },
  uuid: { clickhouse: 'UUID', snowflake: 'VARCHAR(36)', spark: 'STRING' },
  // JSON stays text in the speed layer and becomes VARIANT in Snowflake.
  jsonb: { clickhouse: 'String', snowflake: 'VARIANT', spark: 'STRING' },
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
    };
  }
  const varchar = /^varchar\((\d+)\)$/.exec(postgresType);
  if (varchar) {
    return {
      postgres: postgresType,
      clickhouse: 'String',
      snowflake: `VARCHAR(${varchar[1]})`,
      spark: 'STRING',
    };
  }
  throw new Error(`unsupported column type '${postgresType}'`);
}
