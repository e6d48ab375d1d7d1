import type { LambdaPipelineInput } from './schema';

/**
 * A complete, valid spec: an `orders` pipeline on the local profile. Used in
 * documentation, tests and the local catalog's example pipeline.
 */
export const EXAMPLE_PIPELINE_SPEC: LambdaPipelineInput = {
  apiVersion: 'lambda-pipelines.io/v1alpha1',
  kind: 'LambdaPipeline',
  metadata: {
    name: 'orders',
    title: 'Orders',
    description:
      'Order changes from the shop database, fresh in ClickHouse and complete in Snowflake.',
    owner: 'group:default/data-platform',
    system: 'system:default/orders',
  },
  spec: {
    environment: { name: 'dev', profile: 'local' },
    source: {
      postgres: {
        database: 'shop',
        tables: [
          {
            schema: 'public',
            table: 'orders',
            columns: [
              { name: 'order_id', type: 'bigint', nullable: false },
              { name: 'customer_id', type: 'bigint', nullable: false },
              { name: 'status', type: 'varchar(32)' },
              { name: 'amount', type: 'numeric(12,2)' },
              { name: 'quantity', type: 'integer' },
              { name: 'updated_at', type: 'timestamptz', nullable: false },
            ],
            primaryKey: ['order_id'],
            eventTimeColumn: 'updated_at',
            measures: ['amount', 'quantity'],
          },
        ],
      },
    },
    lake: {
      s3: {
        bucket: 'orders-lake',
        region: 'eu-west-1',
        kmsKeyId: 'alias/orders-lake',
      },
      iceberg: {
        catalog: {
          type: 'jdbc',
          uri: 'jdbc:postgresql://postgres:5432/iceberg_catalog',
        },
      },
    },
    snowflake: {
      account: 'myorg-myaccount',
      warehouse: 'TRANSFORMING',
      database: 'ANALYTICS',
      schema: 'ORDERS',
      role: 'ORDERS_LOADER',
      user: 'ORDERS_SVC',
    },
    dags: { repoUrl: 'file:///var/lib/lambda-pipelines/git/orders-dags.git' },
    secrets: {
      postgres: 'orders-postgres',
      clickhouse: 'orders-clickhouse',
      s3: 'orders-s3',
      snowflake: 'orders-snowflake',
      gitSync: 'orders-git-sync',
      airflowDatabase: 'orders-airflow-db',
    },
  },
};
