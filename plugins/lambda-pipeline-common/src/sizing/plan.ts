import {
  cdcTopicName,
  clickhouseDatabase,
  datasetTableName,
  deadLetterTopicName,
  heartbeatTopicName,
  icebergControlTopicName,
  icebergNamespace,
  kafkaTopicResourceName,
  kubernetesNamespace,
  qualifiedSourceName,
  snowflakeStagingTableName,
  snowflakeTableName,
} from '../naming/pipelineNames';
import type { LambdaPipeline } from '../spec/schema';
import { PipelineSizing, pipelineSizing } from './sizing';

/** A Kafka topic the pipeline owns and the Strimzi KafkaTopic that declares it. */
export interface PlannedTopic {
  name: string;
  resourceName: string;
  partitions: number;
}

/** Where one source table's rows live in every layer. */
export interface PlannedDataset {
  source: string;
  topic: PlannedTopic;
  clickhouseTable: string;
  icebergTable: string;
  snowflakeTable: string;
  snowflakeStagingTable: string;
}

/**
 * Everything the skeletons need beyond the spec itself: sizes and every
 * derived name, computed once so no template re-derives them.
 */
export interface PipelinePlan {
  spec: LambdaPipeline;
  sizing: PipelineSizing;
  namespace: string;
  datasets: PlannedDataset[];
  topics: {
    deadLetter: PlannedTopic;
    icebergControl: PlannedTopic;
    heartbeat: PlannedTopic;
  };
}

export function planPipeline(spec: LambdaPipeline): PipelinePlan {
  const sizing = pipelineSizing(spec);
  const topic = (name: string, partitions: number): PlannedTopic => ({
    name,
    resourceName: kafkaTopicResourceName(name),
    partitions,
  });
  const { database, schema } = spec.spec.snowflake;
  return {
    spec,
    sizing,
    namespace: kubernetesNamespace(spec),
    datasets: spec.spec.source.postgres.tables.map(table => ({
      source: qualifiedSourceName(table),
      topic: topic(cdcTopicName(spec, table), sizing.partitions),
      clickhouseTable: `${clickhouseDatabase(spec)}.${datasetTableName(table)}`,
      icebergTable: `${icebergNamespace(spec)}.${datasetTableName(table)}`,
      snowflakeTable: `${database}.${schema}.${snowflakeTableName(table)}`,
      snowflakeStagingTable: `${database}.${schema}.${snowflakeStagingTableName(
        table,
      )}`,
    })),
    topics: {
      // Dead letters are rare; one partition keeps their order.
      deadLetter: topic(deadLetterTopicName(spec), 1),
      // The Iceberg sink's coordinator expects a single-partition control topic.
      icebergControl: topic(icebergControlTopicName(spec), 1),
      heartbeat: topic(heartbeatTopicName(spec), 1),
    },
  };
}
