import { Entity } from '@backstage/catalog-model';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  EXAMPLE_PIPELINE_SPEC,
  parsePipelineSpec,
  PipelineHealthResponse,
  pipelineSizing,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import {
  LambdaPipelineApi,
  lambdaPipelineApiRef,
} from '../../api/LambdaPipelineApi';
import { useFixtureClock, FIXTURE_NOW } from '../../__fixtures__/clock';
import { consistency, health, throughput } from '../../__fixtures__/monitoring';
import { PipelineTab } from './PipelineTab';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'System',
  metadata: {
    name: 'orders',
    namespace: 'default',
    annotations: {
      'lambda-pipelines.io/spec': './pipeline.yaml',
      'backstage.io/source-location':
        'url:https://github.com/acme/orders-platform/tree/main/',
    },
  },
  spec: { owner: 'data-platform' },
};

const spec = parsePipelineSpec(EXAMPLE_PIPELINE_SPEC);
const specResponse = {
  entityRef: 'system:default/orders',
  spec,
  sizing: pipelineSizing(spec),
  links: [
    {
      id: 'airflow' as const,
      title: 'Airflow: orders_batch_load',
      url: 'http://airflow:8080/dags/orders_batch_load',
    },
    { id: 'grafana' as const, title: 'Grafana', url: 'https://grafana.acme' },
  ],
};

function api(overrides: Partial<LambdaPipelineApi> = {}): LambdaPipelineApi {
  return {
    listPipelines: jest.fn(),
    getPipelineSpec: jest.fn().mockResolvedValue(specResponse),
    getHealth: jest.fn().mockResolvedValue(health()),
    getThroughput: jest.fn().mockResolvedValue(throughput()),
    getConsistency: jest.fn().mockResolvedValue(consistency()),
    ...overrides,
  };
}

const render = (client: LambdaPipelineApi, refreshMs?: number) =>
  renderInTestApp(
    <EntityProvider entity={entity}>
      <PipelineTab refreshMs={refreshMs} />
    </EntityProvider>,
    { apis: [[lambdaPipelineApiRef, client]] },
  );

// A full tab renders a few hundred elements; slow on a busy 2-core machine.
jest.setTimeout(30_000);

// Clock times in the reader's time zone: hh:mm, with "2 Dec" in front when
// the time is not on the reader's today. The zone may shift the minutes too
// (UTC+05:30), so the patterns below only fix the shape.
const CLOCK = String.raw`\d\d:\d\d`;
const DAY = String.raw`\d{1,2} [A-Z][a-z]{2} `;

describe('PipelineTab', () => {
  useFixtureClock();

  it('shows the status, every layer, throughput, lag, dead letters, the consistency timeline and the links', async () => {
    const client = api();
    await render(client);

    // One status with its reason.
    expect(
      await screen.findByText(
        /^Degraded: speed layer: the speed layer is 1,200 events behind Kafka$/,
      ),
    ).toBeInTheDocument();
    expect(client.getHealth).toHaveBeenCalledWith({
      namespace: 'default',
      name: 'orders',
    });
    expect(
      screen.getByText(/Not monitored: Airflow \(no airflow settings/),
    ).toBeInTheDocument();

    // A card per layer, with status and freshness.
    for (const [title, status] of [
      ['CDC / ingest', 'ok'],
      ['Speed layer', 'degraded'],
      ['Batch layer', 'ok'],
      ['Serving', 'ok'],
    ])
      expect(
        screen.getByRole('region', { name: `${title}: ${status}` }),
      ).toBeInTheDocument();
    expect(screen.getByText('speed layer is 3 s behind')).toBeInTheDocument();
    expect(
      screen.getByText(
        'batch complete up to 2026-12-02 09:00 UTC (30 min ago)',
      ),
    ).toBeInTheDocument();
    // Evidence, behind a disclosure.
    expect(screen.getByText('allowedLagEvents')).toBeInTheDocument();

    // The throughput chart: one line per stage with points, the target line, the bottleneck.
    const chart = await screen.findByRole('img', {
      name: /Events per second per stage/,
    });
    expect(chart.querySelectorAll('path')).toHaveLength(3);
    expect(chart).toHaveAccessibleName(
      expect.stringContaining(
        'Speed-layer writes (ClickHouse) (bottleneck): 12,000 events/s now',
      ),
    );
    expect(chart).toHaveAccessibleName(
      expect.stringContaining('target 20,000 events/s: 20,000 events/s'),
    );
    expect(
      screen.getByText(
        /^Bottleneck: Speed-layer writes \(ClickHouse\) handled/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Speed-layer writes (ClickHouse) (bottleneck)'),
    ).toBeInTheDocument();
    expect(screen.getByText('60%')).toBeInTheDocument();
    expect(client.getThroughput).toHaveBeenCalledWith(
      { namespace: 'default', name: 'orders' },
      { windowMinutes: 60 },
    );

    // Lag per consumer with its trend, and dead letters.
    // The speed stage's backlog and the speed job's lag.
    expect(screen.getAllByText('1,200 events')).toHaveLength(2);
    expect(screen.getByText('connect-orders-lake-sink')).toBeInTheDocument();
    expect(
      screen.getByRole('img', {
        name: 'Speed job (Spark → ClickHouse) lag: growing, from 200 to 1,200',
      }),
    ).toBeInTheDocument();
    expect(screen.getByText('7')).toBeInTheDocument();
    expect(screen.getByText(/3 new in the last 60 s/)).toBeInTheDocument();

    // The consistency timeline: a cell per window, the differing one named with what to do.
    const timeline = screen.getByRole('list', {
      name: 'public.orders: windows, oldest first',
    });
    const cells = within(timeline).getAllByRole('listitem');
    expect(cells.map(c => c.getAttribute('data-status'))).toEqual([
      'consistent',
      'diverged',
      'converging',
    ]);
    // The fixture clock reads a minute after the newest check, so the
    // windows are on the reader's today (in every zone but one where
    // midnight falls inside those 26 minutes; "on another day" is below).
    expect(within(cells[1]).getByRole('button')).toHaveAccessibleName(
      new RegExp(
        String.raw`^public\.orders (${DAY})?${CLOCK}–(${DAY})?${CLOCK}: Diverged \(rows 120 vs 118; distinct keys 120 vs 118\)$`,
      ),
    );
    expect(
      within(cells[2]).getByRole('button', {
        name: /Converging \(still open\)/,
      }),
    ).toBeInTheDocument();
    // A window's figures, both layers side by side, on request.
    fireEvent.click(within(cells[1]).getByRole('button'));
    const details = screen.getByRole('table', {
      name: new RegExp(`${CLOCK}–${CLOCK}: Diverged`),
    });
    expect(
      within(details).getByRole('row', { name: 'Rows 120 118' }),
    ).toBeInTheDocument();
    expect(
      within(details).getByRole('row', { name: 'Sum of amount 100.00 100.00' }),
    ).toBeInTheDocument();
    expect(screen.getByText('Windows that differ (1)')).toBeInTheDocument();
    expect(
      screen.getByText(/Re-run the batch load for the differing windows/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Last 2 checks: 1 consistent, 0 converging, 1 diverged.',
      ),
    ).toBeInTheDocument();

    // Links, with the platform repository from the entity.
    expect(
      screen.getByRole('link', { name: /^Airflow: orders_batch_load/ }),
    ).toHaveAttribute('href', 'http://airflow:8080/dags/orders_batch_load');
    expect(
      screen.getByRole('link', { name: /^Platform repository/ }),
    ).toHaveAttribute(
      'href',
      'https://github.com/acme/orders-platform/tree/main/',
    );
    expect(screen.getByText(/To link the Spark UI, set/)).toBeInTheDocument();

    // How it is built.
    expect(screen.getByText('Datasets per source table')).toBeInTheDocument();
  });

  describe('read on a later day', () => {
    useFixtureClock(FIXTURE_NOW + 2 * 24 * 3600_000);

    it('puts the date before the times of windows that are not today', async () => {
      await render(api());
      const timeline = await screen.findByRole('list', {
        name: 'public.orders: windows, oldest first',
      });
      const cells = within(timeline).getAllByRole('listitem');
      expect(within(cells[1]).getByRole('button')).toHaveAccessibleName(
        new RegExp(
          String.raw`^public\.orders ${DAY}${CLOCK}–${DAY}${CLOCK}: Diverged`,
        ),
      );
    });
  });

  it('says the backend cannot be reached, keeps the other parts, and retries', async () => {
    const client = api({
      getHealth: jest
        .fn()
        .mockRejectedValueOnce(new TypeError('Failed to fetch'))
        .mockResolvedValue(health({ status: 'ok', reason: 'all layers ok' })),
    });
    await render(client);
    expect(
      await screen.findByText(/Could not load the pipeline's health/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /the Lambda pipelines backend could not be reached \(is the backend running\?\)\. Tried again every 15 s\./,
      ),
    ).toBeInTheDocument();
    // The rest of the tab still answers.
    expect(
      await screen.findByRole('img', { name: /Events per second per stage/ }),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Try again now' }));
    expect(await screen.findByText('OK: all layers ok')).toBeInTheDocument();
  });

  it('reports a component that is down with its reason', async () => {
    const down = health();
    down.status = 'down';
    down.reason = 'speed layer: ClickHouse is unreachable';
    down.layers[1] = {
      ...down.layers[1],
      status: 'down',
      reason: 'ClickHouse is unreachable',
      components: [
        {
          id: 'clickhouse',
          title: 'ClickHouse orders.orders',
          system: 'clickhouse',
          status: 'down',
          reason:
            'clickhouse (environment dev, http://127.0.0.1:8123) is unreachable: connect ECONNREFUSED',
          evidence: {},
        },
      ],
    };
    await render(api({ getHealth: jest.fn().mockResolvedValue(down) }));
    expect(
      await screen.findByRole('region', { name: 'Speed layer: down' }),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/is unreachable: connect ECONNREFUSED/),
    ).toBeInTheDocument();
  });

  it('refreshes in place: the last answer stays on screen until the next one arrives', async () => {
    let resolveSecond: (value: PipelineHealthResponse) => void = () => {};
    const getHealth = jest
      .fn()
      .mockResolvedValueOnce(health({ status: 'ok', reason: 'first answer' }))
      .mockImplementationOnce(
        () => new Promise(resolve => (resolveSecond = resolve)),
      )
      .mockResolvedValue(health({ status: 'down', reason: 'second answer' }));
    // One second between refreshes: a shorter interval re-renders the whole
    // tab (throughput charts included) back to back and starves the test on
    // a busy 2-core CI machine.
    await render(api({ getHealth }), 1_000);
    expect(
      await screen.findByText('OK: first answer', undefined, {
        timeout: 10_000,
      }),
    ).toBeInTheDocument();
    await waitFor(() => expect(getHealth).toHaveBeenCalledTimes(2), {
      timeout: 10_000,
    });
    // The refresh is under way: no spinner, the previous answer is still shown.
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    expect(screen.getByText('OK: first answer')).toBeInTheDocument();
    await act(async () =>
      resolveSecond(health({ status: 'down', reason: 'second answer' })),
    );
    expect(
      await screen.findByText('Down: second answer', undefined, {
        timeout: 10_000,
      }),
    ).toBeInTheDocument();
  });

  it('shows what there is before data arrives, and runs a consistency check on request', async () => {
    const fresh = consistency({
      status: 'consistent',
      reason: 'every closed window matches',
      checkedAt: new Date(Date.UTC(2026, 11, 2, 9, 31)).toISOString(),
      windows: [],
      history: [],
      repair: undefined,
    });
    const getConsistency = jest
      .fn()
      .mockImplementation((_ref, options) =>
        Promise.resolve(
          options?.refresh
            ? fresh
            : consistency({ windows: [], history: [], reason: 'no windows' }),
        ),
      );
    await render(
      api({
        getThroughput: jest.fn().mockResolvedValue(
          throughput({
            samples: 1,
            summary:
              "not enough samples yet (1); rates appear after the sampler's second run",
            stages: throughput().stages.map(s => ({
              ...s,
              current: null,
              series: [],
            })),
            bottleneck: null,
          }),
        ),
        getConsistency,
      }),
    );
    expect(
      await screen.findByText(
        "No rates yet: not enough samples yet (1); rates appear after the sampler's second run.",
      ),
    ).toBeInTheDocument();
    expect(
      await screen.findByText(/No windows to compare yet/),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Check now' }));
    expect(
      await screen.findByText('every closed window matches'),
    ).toBeInTheDocument();
    expect(getConsistency).toHaveBeenLastCalledWith(
      { namespace: 'default', name: 'orders' },
      { refresh: true },
    );
  });
});
