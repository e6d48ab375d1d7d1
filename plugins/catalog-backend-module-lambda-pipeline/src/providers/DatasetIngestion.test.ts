import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { EntityProviderConnection } from '@backstage/plugin-catalog-node';
import {
  EXAMPLE_PIPELINE_SPEC,
  parsePipelineSpec,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { readDatasetCatalogConfig } from '../config';
import { PipelineSource } from '../entities/datasets';
import { Collector } from '../inventory/collectors';
import { Inventory } from '../inventory/Inventory';
import { LiveDataset } from '../inventory/types';
import {
  DatasetIngestion,
  liveProviderName,
  PIPELINE_DATASETS_PROVIDER,
} from './DatasetIngestion';

const pipelineOf = (
  name: string,
  clickhouseDatabase?: string,
): PipelineSource => ({
  spec: parsePipelineSpec({
    ...EXAMPLE_PIPELINE_SPEC,
    metadata: { ...EXAMPLE_PIPELINE_SPEC.metadata, name },
    spec: {
      ...EXAMPLE_PIPELINE_SPEC.spec,
      ...(clickhouseDatabase
        ? { speed: { clickhouse: { database: clickhouseDatabase } } }
        : {}),
    },
  }),
  location: `url:https://git.example.com/${name}/pipeline.yaml`,
  originLocation: `url:https://git.example.com/${name}/catalog-info.yaml`,
});

const table = (name: string): LiveDataset => ({
  environment: 'dev',
  system: 'clickhouse',
  name,
  facts: { kind: 'table', engine: 'MergeTree', columns: [] },
});
const topic = (name: string): LiveDataset => ({
  environment: 'dev',
  system: 'kafka',
  name,
  facts: { kind: 'topic', partitions: 1 },
});

/** Collectors whose answers the test sets; `null` makes one fail. */
function fakeSystems() {
  const answers: Record<string, LiveDataset[] | null> = {
    kafka: [],
    clickhouse: [],
  };
  const collector =
    (system: string): Collector =>
    async () => {
      const answer = answers[system];
      if (answer === null) throw new Error(`connect ECONNREFUSED (${system})`);
      return answer;
    };
  return {
    answers,
    collectors: {
      kafka: collector('kafka'),
      clickhouse: collector('clickhouse'),
    },
  };
}

function setup(options: { pipelines: () => Promise<PipelineSource[]> }) {
  const systems = fakeSystems();
  const logger = mockServices.logger.mock();
  const applied = new Map<string, Entity[]>();
  const ingestion = new DatasetIngestion({
    logger,
    findPipelines: options.pipelines,
    inventory: new Inventory(systems.collectors, { timeoutMs: 1000 }),
    targets: [
      { environment: 'dev', system: 'kafka' },
      { environment: 'dev', system: 'clickhouse' },
    ],
    snowflakeDefaultDatabase: () => undefined,
    config: readDatasetCatalogConfig(
      mockServices.rootConfig({
        data: {
          lambdaPipelines: {
            catalog: {
              live: {
                unmanaged: { owner: 'group:default/platform' },
                exclude: { clickhouse: ['^scratch\\.'] },
              },
            },
          },
        },
      }),
    ),
  });
  for (const provider of ingestion.providers()) {
    provider.connect({
      applyMutation: async (mutation: any) => {
        applied.set(
          provider.getProviderName(),
          mutation.entities.map((e: any) => e.entity),
        );
      },
      refresh: async () => undefined,
    } as EntityProviderConnection);
  }
  const names = (provider: string) =>
    applied
      .get(provider)
      ?.map(e => e.metadata.name)
      .sort();
  return { ingestion, systems, logger, applied, names };
}

const KAFKA = liveProviderName('dev', 'kafka');
const CLICKHOUSE = liveProviderName('dev', 'clickhouse');

describe('DatasetIngestion', () => {
  it("sorts live datasets into the pipeline's, its auxiliary ones and unmanaged ones", async () => {
    const { ingestion, systems, names } = setup({
      pipelines: async () => [pipelineOf('orders')],
    });
    systems.answers.kafka = [
      topic('orders.public.orders'),
      topic('orders-connect-offsets'),
      topic('__consumer_offsets'),
      topic('audit.events'),
    ];
    systems.answers.clickhouse = [
      table('orders.orders'),
      table('orders.orders_by_minute'),
      table('analytics.sessions'),
      table('scratch.tmp'),
    ];
    const report = await ingestion.run();
    expect(report.failures).toEqual([]);
    expect(names(PIPELINE_DATASETS_PROVIDER)).toEqual(
      expect.arrayContaining([
        'orders-topic-orders.public.orders',
        'orders-clickhouse-orders',
        // In the pipeline's topic prefix and ClickHouse database.
        'orders-topic-orders-connect-offsets',
        'orders-clickhouse-orders.orders_by_minute',
      ]),
    );
    // Internal topics and excluded names are not listed at all.
    expect(names(KAFKA)).toEqual(['dev-topic-audit.events']);
    expect(names(CLICKHOUSE)).toEqual(['dev-clickhouse-analytics.sessions']);
  });

  it('leaves the datasets of a system that failed as they were, says which, and refreshes the rest', async () => {
    const { ingestion, systems, names, logger, applied } = setup({
      pipelines: async () => [pipelineOf('orders')],
    });
    systems.answers.kafka = [topic('audit.events')];
    systems.answers.clickhouse = [
      table('orders.orders'),
      table('analytics.sessions'),
    ];
    await ingestion.run();
    const before = applied.get(CLICKHOUSE);

    systems.answers.clickhouse = null;
    systems.answers.kafka = [topic('audit.events'), topic('audit.logins')];
    const report = await ingestion.run();
    expect(report.failures).toEqual([
      {
        environment: 'dev',
        system: 'clickhouse',
        error: 'connect ECONNREFUSED (clickhouse)',
      },
    ]);
    expect(logger.warn).toHaveBeenCalledWith(
      "Pipeline datasets: ClickHouse in environment 'dev' could not be read, its datasets stay as they were: connect ECONNREFUSED (clickhouse)",
    );
    // No new mutation for ClickHouse; Kafka moved on.
    expect(applied.get(CLICKHOUSE)).toBe(before);
    expect(names(KAFKA)).toEqual([
      'dev-topic-audit.events',
      'dev-topic-audit.logins',
    ]);
    // The pipeline's table keeps the facts of the last read.
    const ordersTable = applied
      .get(PIPELINE_DATASETS_PROVIDER)!
      .find(e => e.metadata.name === 'orders-clickhouse-orders')!;
    expect((ordersTable.spec!.dataset as any).state).toBe('present');
  });

  it('changes nothing when the pipelines cannot be listed', async () => {
    const { ingestion, applied, logger } = setup({
      pipelines: async () => {
        throw new Error('catalog unavailable');
      },
    });
    await ingestion.run();
    expect(applied.size).toBe(0);
    expect(logger.error).toHaveBeenCalledWith(
      'Pipeline datasets: cannot list the pipelines in the catalog, nothing changed this time: catalog unavailable',
    );
  });

  it('gives a database shared by two pipelines to neither', async () => {
    const { ingestion, systems, names } = setup({
      pipelines: async () => [
        pipelineOf('orders', 'shared'),
        pipelineOf('payments', 'shared'),
      ],
    });
    systems.answers.clickhouse = [
      table('shared.orders'),
      table('shared.extra'),
    ];
    await ingestion.run();
    expect(names(PIPELINE_DATASETS_PROVIDER)).toContain(
      'orders-clickhouse-orders',
    );
    expect(names(CLICKHOUSE)).toEqual(['dev-clickhouse-shared.extra']);
  });

  it('gives the same entities on every refresh of unchanged systems', async () => {
    const { ingestion, systems, applied } = setup({
      pipelines: async () => [pipelineOf('orders')],
    });
    systems.answers.kafka = [topic('orders.public.orders'), topic('x.y')];
    systems.answers.clickhouse = [table('orders.orders')];
    await ingestion.run();
    const first = JSON.stringify([...applied.entries()]);
    await ingestion.run();
    expect(JSON.stringify([...applied.entries()])).toBe(first);
  });
});
