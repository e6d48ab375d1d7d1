import type { PipelineFormValues } from '@internal/backstage-plugin-lambda-pipeline-common';

/** A complete form: two source tables (one outside `public`), cloud profile, Glue. */
export const FORM: PipelineFormValues = {
  name: 'payments',
  description:
    'Payments and ledger entries, fresh in ClickHouse, complete in Snowflake.',
  owner: 'group:default/data-platform',
  system: '',
  database: 'billing',
  tables: [
    {
      schema: 'public',
      table: 'payments',
      columns: [
        { name: 'payment_id', type: 'uuid', nullable: false },
        { name: 'amount_cents', type: 'bigint' },
        { name: 'currency', type: 'varchar(3)' },
        { name: 'created_at', type: 'timestamptz', nullable: false },
      ],
      primaryKey: ['payment_id'],
      eventTimeColumn: 'created_at',
      measures: ['amount_cents'],
    },
    {
      schema: 'ledger',
      table: 'entries',
      columns: [
        { name: 'entry_id', type: 'bigint', nullable: false },
        { name: 'account_id', type: 'bigint', nullable: false },
        { name: 'amount', type: 'numeric(18,2)' },
        { name: 'attributes', type: 'jsonb' },
        { name: 'booked_at', type: 'timestamp', nullable: false },
      ],
      primaryKey: ['entry_id', 'account_id'],
      eventTimeColumn: 'booked_at',
      measures: ['amount'],
    },
  ],
  targetEventsPerSecond: 20000,
  memoryBudget: '16Gi',
  profile: 'cloud',
  lakeSink: 'iceberg',
  region: 'eu-west-1',
  bucket: 'payments-lake',
  kmsKeyId: 'alias/payments-lake',
  catalogType: 'glue',
  catalogUri: '',
  snowflakeAccount: 'myorg-myaccount',
  snowflakeWarehouse: 'TRANSFORMING',
  snowflakeDatabase: 'ANALYTICS',
  snowflakeSchema: 'PAYMENTS',
  snowflakeRole: 'PAYMENTS_LOADER',
  snowflakeUser: 'PAYMENTS_SVC',
  dagRepoUrl: 'https://git.example.com/data/payments-dags.git',
  syncPeriodSeconds: 60,
  publishTo: 'local',
  secretPostgres: 'payments-postgres',
  secretClickhouse: 'payments-clickhouse',
  secretS3: 'payments-s3',
  secretSnowflake: 'payments-snowflake',
  secretGitSync: 'payments-git-sync',
  secretAirflowDatabase: 'payments-airflow-db',
};

const ORDERS_TABLE = {
  schema: 'public',
  table: 'orders',
  columns: [
    { name: 'order_id', type: 'bigint', nullable: false },
    { name: 'status', type: 'text' },
    { name: 'amount', type: 'numeric(12,2)' },
    { name: 'updated_at', type: 'timestamptz', nullable: false },
  ],
  primaryKey: ['order_id'],
  eventTimeColumn: 'updated_at',
  measures: ['amount'],
};

/** The specs the template is rendered for: one vs several tables, cloud vs local, catalogs, sinks. */
export const variants: Record<string, PipelineFormValues> = {
  'several tables, cloud, Glue, Iceberg': FORM,
  'one table, local, JDBC, Iceberg, local DAG repo': {
    ...FORM,
    name: 'orders',
    tables: [ORDERS_TABLE],
    profile: 'local',
    catalogType: 'jdbc',
    catalogUri: 'jdbc:postgresql://postgres:5432/iceberg_catalog',
    dagRepoUrl: '',
    syncPeriodSeconds: 30,
  },
  'several tables, cloud, REST, raw S3, ssh DAG repo': {
    ...FORM,
    name: 'ledger',
    lakeSink: 's3-raw',
    catalogType: 'rest',
    catalogUri: 'https://iceberg.example.com/catalog',
    dagRepoUrl: 'git@git.example.com:data/ledger-dags.git',
  },
  'one table, local, JDBC, raw S3, 60k events/s on 24Gi': {
    ...FORM,
    name: 'clicks',
    tables: [ORDERS_TABLE],
    profile: 'local',
    lakeSink: 's3-raw',
    catalogType: 'jdbc',
    catalogUri: 'jdbc:postgresql://postgres:5432/iceberg_catalog',
    targetEventsPerSecond: 60000,
    memoryBudget: '24Gi',
  },
};
