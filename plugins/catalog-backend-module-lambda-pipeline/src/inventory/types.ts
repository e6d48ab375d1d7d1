import type {
  DatasetFacts,
  LiveDatasetSystem,
} from '@internal/backstage-plugin-lambda-pipeline-common';

export type {
  DatasetColumn,
  DatasetFacts,
} from '@internal/backstage-plugin-lambda-pipeline-common';

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
