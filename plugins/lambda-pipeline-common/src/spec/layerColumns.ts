/**
 * The columns every speed-layer (ClickHouse) and batch-layer (Snowflake)
 * table carries besides the source table's own columns. The skeletons render
 * the tables from these lists, the Spark jobs write them, and the monitor's
 * queries (freshness, positions, reconciliation) read them: one contract.
 */
export interface LayerColumn {
  name: string;
  type: string;
  /** Why the column exists (rendered as a comment). */
  comment?: string;
  /** SQL default expression, if any. */
  default?: string;
}

export const SPEED_LAYER_COLUMNS: LayerColumn[] = [
  {
    name: '_lsn',
    type: 'UInt64',
    comment:
      'Source position (PostgreSQL LSN): the version that wins on merge.',
  },
  {
    name: '_op',
    type: 'LowCardinality(String)',
    comment: 'c = insert, u = update, d = delete, r = snapshot read.',
  },
  { name: '_is_deleted', type: 'UInt8' },
  {
    name: '_source_ts',
    type: "DateTime64(3, 'UTC')",
    comment: 'Commit time in the source, from the Debezium envelope.',
  },
  { name: '_kafka_partition', type: 'UInt32' },
  {
    name: '_kafka_offset',
    type: 'UInt64',
    comment:
      "Kafka coordinates: the speed layer's position, which the monitor compares with the topic's end.",
  },
  {
    name: '_fingerprint',
    type: 'Int64',
    comment:
      'Row fingerprint, computed as in the batch layer (reconciliation XORs it per window).',
  },
  {
    name: '_ingested_at',
    type: "DateTime64(3, 'UTC')",
    default: 'now64(3)',
    comment:
      'When the speed job wrote the row; a minmax skip index keeps "what was written recently" cheap at any table size.',
  },
];

export const BATCH_LAYER_COLUMNS: LayerColumn[] = [
  { name: '_LSN', type: 'NUMBER(20, 0) NOT NULL' },
  { name: '_OP', type: 'VARCHAR(1) NOT NULL' },
  { name: '_IS_DELETED', type: 'BOOLEAN NOT NULL' },
  { name: '_SOURCE_TS', type: 'TIMESTAMP_TZ(3) NOT NULL' },
  {
    name: '_KAFKA_PARTITION',
    type: 'INTEGER',
    comment:
      'Kafka coordinates: NULL when the lake sink is the raw landing zone.',
  },
  { name: '_KAFKA_OFFSET', type: 'NUMBER(20, 0)' },
  {
    name: '_FINGERPRINT',
    type: 'BIGINT NOT NULL',
    comment:
      'xxhash64 of the row (signed 64-bit), as in ClickHouse; XORed per window by reconciliation.',
  },
  {
    name: '_LOADED_AT',
    type: 'TIMESTAMP_TZ(3)',
    default: 'CURRENT_TIMESTAMP()',
  },
];

/** Name of the speed tables' skip index on `_ingested_at`. */
export const SPEED_INGESTED_AT_INDEX = '_ingested_at_minmax';
