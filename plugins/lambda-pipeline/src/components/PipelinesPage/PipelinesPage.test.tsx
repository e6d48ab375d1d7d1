import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import type { PipelineSummary } from '@internal/backstage-plugin-lambda-pipeline-common';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import {
  LambdaPipelineApi,
  lambdaPipelineApiRef,
} from '../../api/LambdaPipelineApi';
import { fixtureTime, useFixtureClock } from '../../__fixtures__/clock';
import { PipelinesPage } from './PipelinesPage';

jest.setTimeout(30_000);

const summary = (
  name: string,
  overrides: Partial<PipelineSummary>,
): PipelineSummary => ({
  entityRef: `system:default/${name}`,
  kind: 'System',
  namespace: 'default',
  name,
  title: `${name} pipeline`,
  owner: 'group:default/data-platform',
  specLocation: './pipeline.yaml',
  environment: 'dev',
  health: {
    status: 'ok',
    reason: 'every layer is ok',
    checkedAt: fixtureTime(30, 30),
  },
  throughput: { eventsPerSecond: 15000, targetEventsPerSecond: 20000 },
  freshness: {
    speedNewestEvent: fixtureTime(30, 56),
    batchCompleteUpTo: fixtureTime(0),
  },
  ...overrides,
});

const items = [
  summary('orders', {}),
  summary('payments', {
    environment: 'prod',
    health: {
      status: 'down',
      reason: 'speed layer: ClickHouse is unreachable',
      checkedAt: fixtureTime(30, 30),
    },
    throughput: { eventsPerSecond: 500, targetEventsPerSecond: 20000 },
  }),
  summary('refunds', {
    health: null,
    throughput: { eventsPerSecond: null, targetEventsPerSecond: 1000 },
    freshness: null,
  }),
];

const render = (api: Partial<LambdaPipelineApi>) =>
  renderInTestApp(<PipelinesPage />, {
    apis: [[lambdaPipelineApiRef, api]],
    mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
  });

const rowNames = () =>
  screen
    .getAllByRole('row')
    .slice(1)
    .map(row => within(row).queryAllByRole('link')[0]?.textContent);

describe('PipelinesPage', () => {
  // 09:31 on the fixtures' morning: the health checks are 30 s old, the
  // newest speed-layer events 4 s.
  useFixtureClock();

  it('lists every pipeline with owner, status, throughput against target and freshness', async () => {
    await render({ listPipelines: jest.fn().mockResolvedValue({ items }) });
    expect(await screen.findByText('Pipelines (3)')).toBeInTheDocument();
    expect(screen.getByText('orders pipeline')).toBeInTheDocument();
    expect(
      screen.getByText('15,000 events/s of 20,000 events/s (75%)'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', {
        name: 'payments pipeline: 3% of the throughput target',
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /^speed layer: ClickHouse is unreachable \(\d+ s ago\)$/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Not sampled yet')).toBeInTheDocument();
    expect(
      screen.getByText('no rate yet · target 1,000 events/s'),
    ).toBeInTheDocument();
    expect(screen.getAllByText(/^newest event \d+ s old$/)).toHaveLength(2);
    expect(screen.getAllByText(/^complete up to /)).toHaveLength(2);
    expect(
      screen.getAllByRole('link', { name: 'Lambda pipeline tab' })[0],
    ).toHaveAttribute('href', '/catalog/default/system/orders/lambda-pipeline');
  });

  it('sorts by throughput and filters by search', async () => {
    await render({ listPipelines: jest.fn().mockResolvedValue({ items }) });
    await screen.findByText('Pipelines (3)');
    fireEvent.click(screen.getByText('Throughput vs target'));
    expect(rowNames()).toEqual([
      'refunds pipeline',
      'payments pipeline',
      'orders pipeline',
    ]);
    fireEvent.change(screen.getByPlaceholderText('Filter'), {
      target: { value: 'prod' },
    });
    // The search is debounced.
    await waitFor(() =>
      expect(screen.queryByText('orders pipeline')).not.toBeInTheDocument(),
    );
    expect(screen.getByText('payments pipeline')).toBeInTheDocument();
  });

  it('says when there are no pipelines and how to make one', async () => {
    await render({ listPipelines: jest.fn().mockResolvedValue({ items: [] }) });
    expect(await screen.findByText(/^No pipelines yet\./)).toBeInTheDocument();
  });

  it('explains a failure to list', async () => {
    await render({
      listPipelines: jest
        .fn()
        .mockRejectedValue(new TypeError('Failed to fetch')),
    });
    expect(
      await screen.findByText(/Could not load the pipelines/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/backend could not be reached/),
    ).toBeInTheDocument();
  });
});
