import type { LiveDatasetSystem } from '@internal/backstage-plugin-lambda-pipeline-common';

/** One column as a live system reports it. */
export type DatasetColumn = {
  name: string;
  type: string;
  nullable?: boolean;
  comment?: string;
};

/**
 * What a live system says about one dataset. Only facts that describe the
 * dataset are kept (nothing that changes with every read, such as a
 * timestamp of the read), so an unchanged dataset gives an unchanged entity.
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
  /** ClickHouse sorting key; Iceberg partition fields. */
  sortingKey?: string;
  partitioning?: string[];
  location?: string;
  /** Something about this dataset could not be read (the rest is still listed). */
  problem?: string;
};

/** A dataset found in a live system of an environment. */
export type LiveDataset = {
  environment: string;
  system: LiveDatasetSystem;
  /**
   * Qualified name as the system spells it: the topic; `database.table` in
   * ClickHouse; `DATABASE.SCHEMA.TABLE` in Snowflake; `namespace.table` in
   * Iceberg.
   */
  name: string;
  facts: DatasetFacts;
};

/** The datasets of one system in one environment, as of one successful read. */
export type InventorySnapshot = {
  environment: string;
  system: LiveDatasetSystem;
  datasets: LiveDataset[];
  /** When the read finished (ms since epoch). */
  readAt: number;
  /** How long the read took. */
  durationMs: number;
};

/** Outcome of reading one system in one environment in one cycle. */
export type InventoryResult =
  | { status: 'ok'; snapshot: InventorySnapshot }
  | {
      status: 'failed';
      environment: string;
      system: LiveDatasetSystem;
      error: Error;
      /** The last successful read, if any, still used for enrichment. */
      previous?: InventorySnapshot;
    };
