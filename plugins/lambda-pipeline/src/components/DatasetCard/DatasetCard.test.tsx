import { Entity } from '@backstage/catalog-model';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import {
  LambdaPipelineApi,
  lambdaPipelineApiRef,
} from '../../api/LambdaPipelineApi';
import { health, throughput } from '../../__fixtures__/monitoring';
import { DatasetCard, formatBytes } from './DatasetCard';

const clickhouseTable: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'orders-clickhouse-orders',
    annotations: {
      'lambda-pipelines.io/pipeline': 'system:default/orders',
      'lambda-pipelines.io/dataset': 'clickhouse:orders.orders',
    },
    labels: {
      'lambda-pipelines.io/managed': 'true',
      'lambda-pipelines.io/layer': 'speed',
    },
  },
  spec: {
    type: 'clickhouse-table',
    owner: 'group:default/data-platform',
    dataset: {
      environment: 'dev',
      system: 'clickhouse',
      name: 'orders.orders',
      state: 'present',
      kind: 'table',
      engine: 'ReplacingMergeTree',
      rows: 1234567,
      bytes: 5 * 2 ** 20,
      sortingKey: 'order_id',
      columns: [
        { name: 'order_id', type: 'Int64', nullable: false },
        {
          name: 'status',
          type: 'LowCardinality(String)',
          nullable: false,
          comment: 'order state',
        },
      ],
    },
  },
};

const monitoring = (): Partial<LambdaPipelineApi> => ({
  getHealth: jest.fn().mockResolvedValue(health()),
  getThroughput: jest.fn().mockResolvedValue(throughput()),
});

const render = (
  entity: Entity,
  api: Partial<LambdaPipelineApi> = monitoring(),
) =>
  renderInTestApp(
    <EntityProvider entity={entity}>
      <DatasetCard />
    </EntityProvider>,
    {
      apis: [[lambdaPipelineApiRef, api]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );

describe('DatasetCard', () => {
  it("shows the dataset's facts and columns, and links to its pipeline's tab", async () => {
    await render(clickhouseTable);
    expect(await screen.findByText('orders.orders')).toBeInTheDocument();
    expect(screen.getByText('ReplacingMergeTree')).toBeInTheDocument();
    expect(screen.getByText('1,234,567')).toBeInTheDocument();
    expect(screen.getByText('5.0 MiB')).toBeInTheDocument();
    expect(screen.getByText('Columns (2)')).toBeInTheDocument();
    expect(screen.getByText('LowCardinality(String)')).toBeInTheDocument();
    expect(screen.getByText('order state')).toBeInTheDocument();
    expect(
      screen.getByText('open its Lambda pipeline tab').closest('a'),
    ).toHaveAttribute('href', '/catalog/default/system/orders/lambda-pipeline');
  });

  it("shows the live freshness of a table's layer, and the lag of a CDC topic", async () => {
    const api = monitoring();
    await render(clickhouseTable, api);
    expect(
      await screen.findByText('speed layer is 3 s behind'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Speed layer: the speed layer is 1,200 events behind Kafka',
      ),
    ).toBeInTheDocument();
    expect(api.getHealth).toHaveBeenCalledWith({
      namespace: 'default',
      name: 'orders',
    });
  });

  it('shows the consumers behind a CDC topic, and the count of a dead-letter topic', async () => {
    const topic = (name: string): Entity => ({
      ...clickhouseTable,
      metadata: {
        ...clickhouseTable.metadata,
        name: `orders-topic-${name}`,
        labels: {
          'lambda-pipelines.io/managed': 'true',
          'lambda-pipelines.io/layer': 'ingest',
        },
      },
      spec: {
        type: 'kafka-topic',
        owner: 'group:default/data-platform',
        dataset: {
          environment: 'dev',
          system: 'kafka',
          name,
          state: 'present',
          kind: 'topic',
          partitions: 4,
        },
      },
    });
    await render(topic('orders.public.orders'));
    expect(
      await screen.findByText('Lag: Speed job (Spark → ClickHouse)'),
    ).toBeInTheDocument();
    expect(screen.getByText('1,200 events')).toBeInTheDocument();
    expect(screen.getByText('40 events')).toBeInTheDocument();
  });

  it('shows the dead letters of a dead-letter topic, and says when live status is unavailable', async () => {
    const dlq: Entity = {
      ...clickhouseTable,
      metadata: {
        ...clickhouseTable.metadata,
        labels: { 'lambda-pipelines.io/layer': 'ingest' },
      },
      spec: {
        type: 'kafka-topic',
        owner: 'group:default/data-platform',
        dataset: {
          environment: 'dev',
          system: 'kafka',
          name: 'orders.dlq',
          state: 'present',
        },
      },
    };
    await render(dlq);
    expect(await screen.findByText('Dead letters')).toBeInTheDocument();
    expect(screen.getByText('7')).toBeInTheDocument();
  });

  it('keeps the facts when the live status cannot be read', async () => {
    await render(clickhouseTable, {
      getHealth: jest.fn().mockRejectedValue(new TypeError('Failed to fetch')),
      getThroughput: jest
        .fn()
        .mockRejectedValue(new TypeError('Failed to fetch')),
    });
    expect(
      await screen.findByText(
        /^Live status unavailable: the Lambda pipelines backend could not be reached/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('ReplacingMergeTree')).toBeInTheDocument();
  });

  it('says when no pipeline owns a dataset, and when its system has not got it', async () => {
    await render({
      ...clickhouseTable,
      metadata: {
        name: 'dev-topic-audit.events',
        annotations: { 'lambda-pipelines.io/dataset': 'kafka:audit.events' },
        labels: { 'lambda-pipelines.io/managed': 'false' },
      },
      spec: {
        type: 'kafka-topic',
        owner: 'unknown',
        dataset: {
          environment: 'dev',
          system: 'kafka',
          name: 'audit.events',
          state: 'missing',
          kind: 'topic',
        },
      },
    });
    expect(
      await screen.findByText(/No pipeline owns this dataset/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/^missing: its system does not have it/),
    ).toBeInTheDocument();
    expect(screen.queryByText('open its Lambda pipeline tab')).toBeNull();
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3.5 * 1024)).toBe('3.5 KiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
  });
});
