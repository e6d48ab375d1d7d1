import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  lambdaPipelines?: {
    /**
     * Datasets in the catalog: every pipeline's topics and tables as
     * Resource entities (from its spec, enriched by the live systems), and
     * the datasets of the live systems of `lambdaPipelines.environments`
     * that no pipeline owns.
     */
    catalog?: {
      /** How often every dataset is refreshed. Default: every 2 minutes, 5-minute timeout. */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      live?: {
        /** Environments whose systems are read; default all configured. */
        environments?: string[];
        /** Which systems are read; default kafka, clickhouse, snowflake, iceberg (those configured). */
        systems?: Array<'kafka' | 'clickhouse' | 'snowflake' | 'iceberg'>;
        /** Deadline of one system's read in one environment, in ms (default 60000). */
        timeoutMs?: number;
        snowflake?: {
          /**
           * More databases to read (each environment's own database and the
           * databases of its pipelines are always read).
           */
          databases?: string[];
        };
        /**
         * Regular expressions of qualified names never listed (topic;
         * database.table; DATABASE.SCHEMA.TABLE; namespace.table), added to
         * the built-in ones (Kafka internals such as __consumer_offsets).
         */
        exclude?: {
          kafka?: string[];
          clickhouse?: string[];
          snowflake?: string[];
          iceberg?: string[];
        };
        /** Datasets no pipeline owns. */
        unmanaged?: {
          /** List them (marked unmanaged). Default true. */
          enabled?: boolean;
          /** Their owner, an entity reference. Default `unknown`. */
          owner?: string;
        };
      };
    };
  };
}
