import type { LambdaPipeline, SourceTable } from '../spec/schema';
import { toEntityName, toKubernetesName, toSqlIdentifier } from './rules';

/**
 * Every name a pipeline's objects carry, derived from its spec. Nothing else
 * in the product invents a topic, table or entity name.
 */

/** Debezium `topic.prefix`, also the prefix of every topic the pipeline owns. */
export function topicPrefix(spec: LambdaPipeline): string {
  return spec.metadata.name;
}

/** `schema.table` as PostgreSQL and Debezium's `table.include.list` write it. */
export function qualifiedSourceName(table: SourceTable): string {
  return `${table.schema}.${table.table}`;
}

/** CDC topic of a source table: Debezium's default `<prefix>.<schema>.<table>`. */
export function cdcTopicName(spec: LambdaPipeline, table: SourceTable): string {
  return `${topicPrefix(spec)}.${table.schema}.${table.table}`;
}

/** Dead-letter topic for events the speed job cannot parse or write. */
export function deadLetterTopicName(spec: LambdaPipeline): string {
  return `${topicPrefix(spec)}.dlq`;
}

/** Control topic of the Iceberg Kafka Connect sink (commit coordination). */
export function icebergControlTopicName(spec: LambdaPipeline): string {
  return `${topicPrefix(spec)}.iceberg-control`;
}

/** Debezium heartbeat topic (`topic.heartbeat.prefix` + topic prefix). */
export function heartbeatTopicName(spec: LambdaPipeline): string {
  return `__debezium-heartbeat.${topicPrefix(spec)}`;
}

/**
 * The CDC topic of Debezium's signal table (`<control schema>.debezium_signal`):
 * the signal table is captured like a source table (it must be, for
 * incremental snapshots), so Debezium writes its rows to this topic, which
 * must exist where the brokers do not create topics.
 */
export function signalTopicName(spec: LambdaPipeline): string {
  return `${topicPrefix(spec)}.${signalTableName(spec)}`;
}

/** `schema.table` of Debezium's signal table (incremental snapshots, repairs). */
export function signalTableName(spec: LambdaPipeline): string {
  return `${controlSchemaName(spec)}.debezium_signal`;
}

/** Strimzi KafkaTopic object name for a Kafka topic name. */
export function kafkaTopicResourceName(topic: string): string {
  return toKubernetesName(topic);
}

/** Table name used in ClickHouse, Iceberg and (upper-cased) Snowflake. */
export function datasetTableName(table: SourceTable): string {
  return table.schema === 'public'
    ? table.table
    : `${table.schema}_${table.table}`;
}

export function clickhouseDatabase(spec: LambdaPipeline): string {
  return (
    spec.spec.speed.clickhouse.database ?? toSqlIdentifier(spec.metadata.name)
  );
}

export function icebergNamespace(spec: LambdaPipeline): string {
  return (
    spec.spec.lake.iceberg.namespace ?? toSqlIdentifier(spec.metadata.name)
  );
}

export function snowflakeTableName(table: SourceTable): string {
  return datasetTableName(table).toUpperCase();
}

export function snowflakeStagingTableName(table: SourceTable): string {
  return `STG_${snowflakeTableName(table)}`;
}

/**
 * Snowflake schema dbt builds the marts in: the landing schema with `_MARTS`
 * (profiles.yml of the DAG repository; `DBT_SNOWFLAKE_SCHEMA` can point a
 * development run elsewhere).
 */
export function martsSchemaName(spec: LambdaPipeline): string {
  return `${spec.spec.snowflake.schema}_MARTS`;
}

/**
 * The dbt mart models of a source table (models/marts of the DAG repository):
 * the live rows and their per-window aggregates the reconciliation compares.
 */
export function dbtMartModels(table: SourceTable): string[] {
  const name = datasetTableName(table);
  return [name, `${name}_by_window`];
}

export function kubernetesNamespace(spec: LambdaPipeline): string {
  return spec.spec.environment.namespace ?? spec.metadata.name;
}

/** Kinds of datasets a pipeline owns, as catalog Resource `spec.type`. */
export type DatasetType =
  | 'postgres-table'
  | 'kafka-topic'
  | 'iceberg-table'
  | 'clickhouse-table'
  | 'snowflake-table'
  | 'dbt-model';

/** Catalog entity name for one of the pipeline's datasets. */
export function datasetEntityName(
  spec: LambdaPipeline,
  type: DatasetType,
  name: string,
): string {
  const short = type.replace(/-table$/, '').replace(/^kafka-/, '');
  return toEntityName(`${spec.metadata.name}-${short}-${name}`);
}

/** Where a live dataset was found: the systems the catalog module inventories. */
export type LiveDatasetSystem =
  | 'kafka'
  | 'clickhouse'
  | 'snowflake'
  | 'iceberg';

const LIVE_SHORT: Record<LiveDatasetSystem, string> = {
  kafka: 'topic',
  clickhouse: 'clickhouse',
  snowflake: 'snowflake',
  iceberg: 'iceberg',
};

/**
 * Catalog entity name of a dataset found in a live system:
 * `<scope>-<kind>-<qualified name>`, where the scope is the environment for a
 * dataset no pipeline owns (`dev-topic-audit.events`,
 * `dev-snowflake-analytics.public.orders`) and the pipeline for one in a
 * pipeline's own space that its spec does not name.
 *
 * Entity names compare case-insensitively, but topics and ClickHouse tables
 * are case-sensitive and Snowflake's quoted identifiers are too. A name in
 * its system's canonical case (lower for Kafka, ClickHouse and Iceberg, upper
 * for Snowflake's unquoted identifiers) is simply lower-cased; any other name
 * gets a hash of the original, so `Orders` and `orders` stay two entities and
 * keep their names on every refresh.
 */
export function liveDatasetEntityName(
  scope: string,
  system: LiveDatasetSystem,
  qualifiedName: string,
): string {
  const canonical =
    system === 'snowflake'
      ? qualifiedName.toUpperCase()
      : qualifiedName.toLowerCase();
  const raw = `${scope}-${LIVE_SHORT[system]}-${qualifiedName}`;
  return qualifiedName === canonical
    ? toEntityName(raw)
    : toEntityName(raw, { keepCase: true });
}

/** Strimzi Kafka cluster (and KafkaNodePool owner) of a pipeline. */
export function kafkaClusterName(spec: LambdaPipeline): string {
  return toKubernetesName(`${spec.metadata.name}-kafka`);
}

/** Strimzi KafkaConnect cluster of a pipeline. */
export function kafkaConnectName(spec: LambdaPipeline): string {
  return toKubernetesName(`${spec.metadata.name}-connect`);
}

/** The Debezium source connector. */
export function cdcConnectorName(spec: LambdaPipeline): string {
  return toKubernetesName(`${spec.metadata.name}-cdc`);
}

/** The lake sink connector (Iceberg or raw S3). */
export function lakeSinkConnectorName(spec: LambdaPipeline): string {
  return toKubernetesName(`${spec.metadata.name}-lake`);
}

/** PostgreSQL replication slot and publication of the Debezium connector. */
export function replicationSlotName(spec: LambdaPipeline): string {
  return toSqlIdentifier(`${spec.metadata.name}_cdc`);
}

export function publicationName(spec: LambdaPipeline): string {
  return toSqlIdentifier(`${spec.metadata.name}_cdc`);
}

/**
 * Schema in the source database for the pipeline's own tables (Debezium's
 * heartbeat and signal tables), kept apart from the application's tables.
 */
export function controlSchemaName(spec: LambdaPipeline): string {
  return toSqlIdentifier(`${spec.metadata.name}_cdc`);
}

/** Kafka consumer group of the speed job. */
export function speedConsumerGroup(spec: LambdaPipeline): string {
  return `${spec.metadata.name}-speed`;
}

/** Airflow DAG ids of the pipeline's DAG repository. */
export function airflowDagIds(spec: LambdaPipeline): {
  batchLoad: string;
  dbt: string;
  reconciliation: string;
  dataQuality: string;
} {
  const prefix = spec.metadata.name;
  return {
    batchLoad: `${prefix}_batch_load`,
    dbt: `${prefix}_dbt`,
    reconciliation: `${prefix}_reconciliation`,
    dataQuality: `${prefix}_data_quality`,
  };
}

/** Consumer group of a sink connector (Kafka Connect's `connect-<name>`). */
export function sinkConnectorConsumerGroup(connectorName: string): string {
  return `connect-${connectorName}`;
}

/** SparkApplication names (the batch one gets a unique suffix per run). */
export function speedApplicationName(spec: LambdaPipeline): string {
  return toKubernetesName(`${spec.metadata.name}-speed`);
}

export function batchApplicationName(spec: LambdaPipeline): string {
  return toKubernetesName(`${spec.metadata.name}-batch`);
}

/** Where the S3 objects of a pipeline live (raw landing zone, Iceberg warehouse, checkpoints). */
export function lakePaths(spec: LambdaPipeline): {
  warehouse: string;
  raw: string;
  checkpoints: string;
} {
  const { bucket, prefix } = spec.spec.lake.s3;
  const key = (prefix ?? spec.metadata.name).replace(/^\/+|\/+$/g, '');
  return {
    // Iceberg's S3FileIO takes s3://; Spark's checkpoints go through Hadoop S3A.
    warehouse: `s3://${bucket}/${key}/warehouse`,
    raw: `s3://${bucket}/${key}/raw`,
    checkpoints: `s3a://${bucket}/${key}/checkpoints`,
  };
}
