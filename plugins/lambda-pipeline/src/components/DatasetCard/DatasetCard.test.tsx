import { Entity } from '@backstage/catalog-model';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
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
    labels: { 'lambda-pipelines.io/managed': 'true' },
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

const render = (entity: Entity) =>
  renderInTestApp(
    <EntityProvider entity={entity}>
      <DatasetCard />
    </EntityProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
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
