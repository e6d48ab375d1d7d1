import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
} from '@backstage/catalog-model';
import {
  ANNOTATION_DATASET,
  ANNOTATION_ENVIRONMENT,
  ANNOTATION_PIPELINE_REF,
  DatasetSpec,
  DatasetSystem,
  LABEL_LAYER,
  LABEL_MANAGED,
  DatasetType,
  LambdaPipeline,
  LiveDatasetSystem,
  liveDatasetEntityName,
  martsSchemaName,
  planPipeline,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { DatasetColumn, DatasetFacts, LiveDataset } from '../inventory/types';

/** The live datasets of every environment and system, as last read. */
export class LiveIndex {
  private readonly byKey = new Map<string, Map<string, LiveDataset>>();

  /** `datasets`: per environment and system, the last successful read (absent = never read). */
  constructor(
    snapshots: Array<{
      environment: string;
      system: LiveDatasetSystem;
      datasets: LiveDataset[];
    }>,
  ) {
    for (const s of snapshots) {
      this.byKey.set(
        `${s.environment}/${s.system}`,
        new Map(s.datasets.map(d => [d.name, d])),
      );
    }
  }

  lookup(
    environment: string,
    system: LiveDatasetSystem,
    name: string,
  ):
    | { state: 'present'; facts: DatasetFacts }
    | { state: 'missing' | 'unknown' } {
    const datasets = this.byKey.get(`${environment}/${system}`);
    if (!datasets) return { state: 'unknown' };
    const found = datasets.get(name);
    return found
      ? { state: 'present', facts: found.facts }
      : { state: 'missing' };
  }
}

/** A pipeline as the catalog module found it. */
export type PipelineSource = {
  spec: LambdaPipeline;
  /** Location of the spec file, as an entity location (`url:...` or `file:...`). */
  location: string;
  /** Origin location of the pipeline's entity. */
  originLocation: string;
};

/**
 * What a pipeline owns among the live datasets: its own datasets by name,
 * and name prefixes (its ClickHouse database, Iceberg namespace, marts schema,
 * topic prefix) whose other datasets are its auxiliary tables and topics, if
 * no other pipeline shares the prefix.
 */
export type PipelineClaims = {
  names: Set<string>;
  prefixes: Array<{
    environment: string;
    system: LiveDatasetSystem;
    prefix: string;
  }>;
};

export const claimKey = (
  environment: string,
  system: LiveDatasetSystem,
  name: string,
) => `${environment}/${system}/${name}`;

const TYPE_OF: Record<LiveDatasetSystem, DatasetType> = {
  kafka: 'kafka-topic',
  clickhouse: 'clickhouse-table',
  snowflake: 'snowflake-table',
  iceberg: 'iceberg-table',
};

const SYSTEM_TITLE: Record<DatasetSystem, string> = {
  kafka: 'Kafka',
  clickhouse: 'ClickHouse',
  snowflake: 'Snowflake',
  iceberg: 'Iceberg',
  postgres: 'PostgreSQL',
};

type DatasetEntityInput = {
  name: string;
  title: string;
  description: string;
  type: DatasetType;
  layer: string;
  tags: string[];
  dependsOn?: string[];
  dataset: DatasetSpec;
};

function pipelineEntity(
  source: PipelineSource,
  plan: ReturnType<typeof planPipeline>,
  input: DatasetEntityInput,
): Entity {
  const { spec } = source;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: input.name,
      title: input.title,
      description: input.description,
      tags: ['lambda-pipeline', ...input.tags],
      labels: { [LABEL_MANAGED]: 'true', [LABEL_LAYER]: input.layer },
      annotations: {
        [ANNOTATION_LOCATION]: source.location,
        [ANNOTATION_ORIGIN_LOCATION]: source.originLocation,
        [ANNOTATION_PIPELINE_REF]: `system:default/${plan.names.systemEntity}`,
        [ANNOTATION_ENVIRONMENT]: spec.spec.environment.name,
        [ANNOTATION_DATASET]: `${input.dataset.system}:${input.dataset.name}`,
      },
    },
    spec: {
      type: input.type,
      owner: spec.metadata.owner,
      system: plan.names.systemEntity,
      ...(input.dependsOn?.length
        ? { dependsOn: input.dependsOn.map(n => `resource:default/${n}`) }
        : {}),
      dataset: input.dataset,
    },
  };
}

function liveSpec(
  live: LiveIndex,
  environment: string,
  system: LiveDatasetSystem,
  name: string,
): DatasetSpec {
  const found = live.lookup(environment, system, name);
  return found.state === 'present'
    ? { environment, system, name, state: 'present', ...found.facts }
    : { environment, system, name, state: found.state };
}

/**
 * The datasets of one pipeline as Resource entities, linked by `dependsOn`
 * from the source table to every serving table:
 *
 *   postgres table -> CDC topic -> Iceberg table -> Snowflake staging
 *     -> Snowflake table -> dbt marts;  CDC topic -> ClickHouse table;
 *   CDC topics -> dead-letter topic.
 *
 * Live facts (columns, sizes, topic settings) come from `live`; the names
 * from the naming rules in -common, so they never change between refreshes.
 */
export function pipelineDatasetEntities(
  source: PipelineSource,
  live: LiveIndex,
): { entities: Entity[]; claims: PipelineClaims } {
  const { spec } = source;
  const plan = planPipeline(spec);
  const env = spec.spec.environment.name;
  const pipeline = spec.metadata.name;
  const sourceDb = spec.spec.source.postgres.database;
  const entities: Entity[] = [];
  const names = new Set<string>();
  const claim = (system: LiveDatasetSystem, name: string) => {
    names.add(claimKey(env, system, name));
    return liveSpec(live, env, system, name);
  };
  const entity = (input: DatasetEntityInput) =>
    entities.push(pipelineEntity(source, plan, input));

  for (const d of plan.datasets) {
    const columns: DatasetColumn[] = d.columns.map(c => ({
      name: c.name,
      type: c.postgres,
      nullable: c.nullable,
    }));
    entity({
      name: d.entities.source,
      title: `${d.source} (PostgreSQL)`,
      description: `Source table ${d.source} of database ${sourceDb}; Debezium captures its changes into ${d.topic.name}.`,
      type: 'postgres-table',
      layer: 'source',
      tags: ['postgres', 'source'],
      dataset: {
        environment: env,
        system: 'postgres',
        name: `${sourceDb}.${d.source}`,
        state: 'declared',
        kind: 'table',
        columns,
      },
    });
    entity({
      name: d.entities.topic,
      title: `${d.topic.name} (Kafka)`,
      description: `Change events of ${d.source} (Debezium CDC), read by the speed job and the lake sink.`,
      type: 'kafka-topic',
      layer: 'ingest',
      tags: ['kafka', 'cdc'],
      dependsOn: [d.entities.source],
      dataset: claim('kafka', d.topic.name),
    });
    entity({
      name: d.entities.clickhouseTable,
      title: `${d.clickhouseTable} (ClickHouse, speed layer)`,
      description: `Speed layer: ${d.source} as Spark Structured Streaming writes it from ${d.topic.name}, seconds behind the source.`,
      type: 'clickhouse-table',
      layer: 'speed',
      tags: ['clickhouse', 'speed-layer'],
      dependsOn: [d.entities.topic],
      dataset: claim('clickhouse', d.clickhouseTable),
    });
    entity({
      name: d.entities.icebergTable,
      title: `${d.icebergTable} (Iceberg)`,
      description: `Lake: every change of ${d.source}, written by the lake sink from ${d.topic.name}.`,
      type: 'iceberg-table',
      layer: 'lake',
      tags: ['iceberg', 'lake'],
      dependsOn: [d.entities.topic],
      dataset: claim('iceberg', d.icebergTable),
    });
    entity({
      name: d.entities.snowflakeStagingTable,
      title: `${d.snowflakeStagingTable} (Snowflake staging)`,
      description: `Batch layer staging: each batch run's rows of ${d.source} from the Iceberg table, before the merge.`,
      type: 'snowflake-table',
      layer: 'batch',
      tags: ['snowflake', 'batch-layer', 'staging'],
      dependsOn: [d.entities.icebergTable],
      dataset: claim('snowflake', d.snowflakeStagingTable.toUpperCase()),
    });
    entity({
      name: d.entities.snowflakeTable,
      title: `${d.snowflakeTable} (Snowflake, batch layer)`,
      description: `Batch layer: ${d.source} merged from staging by the batch job, one row version per key.`,
      type: 'snowflake-table',
      layer: 'batch',
      tags: ['snowflake', 'batch-layer'],
      dependsOn: [d.entities.snowflakeStagingTable],
      dataset: claim('snowflake', d.snowflakeTable.toUpperCase()),
    });
    for (const mart of d.marts) {
      entity({
        name: mart.entity,
        title: `${mart.model} (dbt mart)`,
        description: `dbt model ${mart.model}, built by the ${plan.jobs.dagIds.dbt} DAG into ${mart.table}.`,
        type: 'dbt-model',
        layer: 'marts',
        tags: ['dbt', 'snowflake', 'mart'],
        dependsOn: [d.entities.snowflakeTable],
        dataset: claim('snowflake', mart.table.toUpperCase()),
      });
    }
  }
  entity({
    name: plan.names.deadLetterEntity,
    title: `${plan.topics.deadLetter.name} (Kafka dead letters)`,
    description: `Events of the ${pipeline} pipeline that the speed job could not parse or write, with the reason in their headers.`,
    type: 'kafka-topic',
    layer: 'ingest',
    tags: ['kafka', 'dead-letter'],
    dependsOn: plan.datasets.map(d => d.entities.topic),
    dataset: claim('kafka', plan.topics.deadLetter.name),
  });

  const sf = spec.spec.snowflake;
  return {
    entities,
    claims: {
      names,
      prefixes: [
        // Topic prefix (Debezium's topic.prefix) and the Connect cluster's internal topics.
        { environment: env, system: 'kafka', prefix: `${pipeline}.` },
        {
          environment: env,
          system: 'kafka',
          prefix: `${plan.names.kafkaConnect}-`,
        },
        {
          environment: env,
          system: 'clickhouse',
          prefix: `${plan.names.clickhouseDatabase}.`,
        },
        {
          environment: env,
          system: 'iceberg',
          prefix: `${plan.names.icebergNamespace}.`,
        },
        {
          environment: env,
          system: 'snowflake',
          prefix: `${sf.database}.${martsSchemaName(spec)}.`.toUpperCase(),
        },
      ],
    },
  };
}

/**
 * A live dataset inside a pipeline's own database, namespace, schema or
 * topic prefix that the spec does not name (a dbt staging view, a Connect
 * offsets topic...): owned by the pipeline, no lineage.
 */
export function auxiliaryDatasetEntity(
  source: PipelineSource,
  dataset: LiveDataset,
): Entity {
  const plan = planPipeline(source.spec);
  const type = TYPE_OF[dataset.system];
  return pipelineEntity(source, plan, {
    // Named like live datasets (case-safe), under the pipeline's name.
    name: liveDatasetEntityName(
      source.spec.metadata.name,
      dataset.system,
      dataset.name,
    ),
    title: `${dataset.name} (${SYSTEM_TITLE[dataset.system]})`,
    description: `${SYSTEM_TITLE[dataset.system]} ${
      dataset.facts.kind
    } in the ${
      source.spec.metadata.name
    } pipeline's own space that its spec does not describe (created by its jobs or by hand).`,
    type,
    layer: 'auxiliary',
    tags: [dataset.system, 'auxiliary'],
    dataset: {
      environment: dataset.environment,
      system: dataset.system,
      name: dataset.name,
      state: 'present',
      ...dataset.facts,
    },
  });
}

/** Location of the entities read from one live system of one environment. */
export function liveLocation(
  environment: string,
  system: LiveDatasetSystem,
): string {
  return `lambda-pipelines-live:${environment}/${system}`;
}

/** A dataset that exists in a live system but belongs to no pipeline. */
export function unmanagedDatasetEntity(
  dataset: LiveDataset,
  options: { owner: string },
): Entity {
  const location = liveLocation(dataset.environment, dataset.system);
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: liveDatasetEntityName(
        dataset.environment,
        dataset.system,
        dataset.name,
      ),
      title: `${dataset.name} (${SYSTEM_TITLE[dataset.system]}, ${
        dataset.environment
      })`,
      description: `${SYSTEM_TITLE[dataset.system]} ${
        dataset.facts.kind
      } found in environment ${dataset.environment} that no pipeline owns.`,
      tags: [dataset.system, 'unmanaged'],
      labels: { [LABEL_MANAGED]: 'false' },
      annotations: {
        [ANNOTATION_LOCATION]: location,
        [ANNOTATION_ORIGIN_LOCATION]: location,
        [ANNOTATION_ENVIRONMENT]: dataset.environment,
        [ANNOTATION_DATASET]: `${dataset.system}:${dataset.name}`,
      },
    },
    spec: {
      type: TYPE_OF[dataset.system],
      owner: options.owner,
      dataset: {
        environment: dataset.environment,
        system: dataset.system,
        name: dataset.name,
        state: 'present',
        ...dataset.facts,
      } satisfies DatasetSpec,
    },
  };
}
