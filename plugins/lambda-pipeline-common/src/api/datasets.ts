/**
 * `spec.dataset` of the dataset Resources the catalog module lists: where a
 * dataset lives and what its system says about it.
 */

/** One column as a live system (or, for a source table, the spec) reports it. */
export type DatasetColumn = {
  name: string;
  type: string;
  nullable?: boolean;
  comment?: string;
};

/**
 * What a live system says about one dataset. Only facts that describe the
 * dataset are kept (nothing that changes with every read), so an unchanged
 * dataset gives an unchanged entity.
 */
export type DatasetFacts = {
  /** `topic`, `table`, `view`... */
  kind: string;
  /** ClickHouse table engine; `BASE TABLE`/`VIEW` in Snowflake; `iceberg v2`. */
  engine?: string;
  comment?: string;
  columns?: DatasetColumn[];
  rows?: number;
  bytes?: number;
  /** Kafka */
  partitions?: number;
  replicationFactor?: number;
  underReplicatedPartitions?: number;
  config?: Record<string, string>;
  /** ClickHouse sorting key. */
  sortingKey?: string;
  /** ClickHouse partition key; Iceberg partition fields. */
  partitioning?: string[];
  location?: string;
  /** Something about this dataset could not be read (the rest is still listed). */
  problem?: string;
};

/** The systems a dataset can live in. */
export type DatasetSystem =
  | 'postgres'
  | 'kafka'
  | 'clickhouse'
  | 'snowflake'
  | 'iceberg';

/**
 * `state`: `present` (seen on the last read), `missing` (the system answered
 * and does not have it: not deployed yet, or dropped), `unknown` (the system
 * is not configured or has not answered yet), `declared` (a source table:
 * what the spec declares).
 */
export type DatasetSpec = {
  environment: string;
  system: DatasetSystem;
  /** Qualified name as the system spells it. */
  name: string;
  state: 'present' | 'missing' | 'unknown' | 'declared';
} & Partial<DatasetFacts>;
