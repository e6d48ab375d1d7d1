import { mockServices } from '@backstage/backend-test-utils';
import {
  EXAMPLE_PIPELINE_SPEC,
  parsePipelineSpec,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { ProbeError } from '@internal/backstage-plugin-lambda-pipeline-node';
import { judgeWindow } from './consistency';
import { Counters } from './counters';
import { assessHealth } from './health';
import { browsableRepositoryUrl, pipelineLinks } from './links';
import { Observations } from './observe';
import { scheduleIntervalMinutes } from './schedule';
import { MonitorStore } from './store';
import { LivePipeline } from '../__testUtils__/livePipeline';
import { monitorTargets } from './targets';
import { computeThroughput, Sample } from './throughput';

const targets = monitorTargets(LivePipeline.specFor('unit'));
const topic = targets.cdcTopics[0];

/** Observations where every system answered and all is well; override per test. */
function observations(overrides: Partial<Observations> = {}): Observations {
  return {
    at: new Date('2026-12-01T12:00:00Z'),
    durationMs: 42,
    source: {
      state: 'ok',
      value: {
        changes: 100,
        slot: {
          exists: true,
          active: true,
          lagBytes: 1024,
          walStatus: 'reserved',
        },
      },
    },
    topics: {
      state: 'ok',
      value: {
        topics: {
          [topic]: [{ partition: 0, low: 0, high: 100 }],
          [targets.deadLetterTopic]: [{ partition: 0, low: 0, high: 0 }],
        },
        missing: [],
      },
    },
    lakeSinkLag: {
      state: 'ok',
      value: {
        groupId: targets.lakeSinkGroup,
        state: 'Stable',
        members: 1,
        partitions: [],
        totalLag: 0,
      },
    },
    connectors: {
      state: 'ok',
      value: [targets.cdcConnector, targets.lakeSinkConnector].map(name => ({
        name,
        type: 'source',
        state: 'RUNNING',
        tasks: [{ id: 0, state: 'RUNNING' }],
      })),
    },
    speed: {
      state: 'ok',
      value: [
        {
          source: targets.datasets[0].source,
          topic,
          offsets: { '0': 100 },
          newestEventTime: '2026-12-01T11:59:58.000Z',
          lastInsert: '2026-12-01T11:59:59.000Z',
        },
      ],
    },
    batch: {
      state: 'ok',
      value: [
        {
          source: targets.datasets[0].source,
          completeUpTo: '2026-12-01T11:00:00.000Z',
          loadedAt: '2026-12-01T11:05:00.000Z',
          offsets: { [topic]: { '0': 90 } },
        },
      ],
    },
    kubernetes: {
      state: 'ok',
      value: {
        namespace: targets.namespace,
        notServed: [],
        pods: [],
        resources: [
          {
            kind: 'Kafka',
            name: targets.kafkaCluster,
            readiness: { state: 'ready', message: 'Ready' },
            conditions: [],
          },
          {
            kind: 'KafkaConnect',
            name: targets.kafkaConnect,
            readiness: { state: 'ready', message: 'Ready' },
            conditions: [],
          },
          {
            kind: 'SparkApplication',
            name: targets.speedApplication,
            readiness: { state: 'ready', message: 'RUNNING' },
            conditions: [],
          },
        ],
      },
    },
    dags: {
      state: 'ok',
      value: Object.values(targets.dagIds).map(dagId => ({
        dagId,
        dag: { dagId, isPaused: false, hasImportErrors: false },
        runs: [
          {
            runId: 'r1',
            state: 'success',
            startDate: '2026-12-01T11:00:00Z',
            endDate: '2026-12-01T11:04:00Z',
          },
        ],
        failedTasks: [],
      })),
    },
    ...overrides,
  };
}

const find = (h: ReturnType<typeof assessHealth>, id: string) =>
  h.layers.flatMap(l => l.components).find(c => c.id === id);

describe('assessHealth', () => {
  it('is ok when every system answers and keeps up, with freshness per layer', () => {
    const h = assessHealth('system:default/unit', targets, observations());
    expect(h.status).toBe('ok');
    expect(h.reason).toBe('every layer is ok');
    expect(h.layers.map(l => [l.id, l.status])).toEqual([
      ['ingest', 'ok'],
      ['speed', 'ok'],
      ['batch', 'ok'],
      ['serving', 'ok'],
    ]);
    expect(h.layers[1].freshness?.text).toBe(
      'speed layer is up to date (newest event 2026-12-01 11:59:58 UTC)',
    );
    expect(h.layers[2].freshness).toEqual({
      completeUpTo: '2026-12-01T11:00:00.000Z',
      text: 'batch complete up to 2026-12-01 11:00 UTC (60 min ago)',
    });
    expect(find(h, 'snowflake')?.evidence).toMatchObject({
      lagEvents: 10,
      secondsSinceLastLoad: 3300,
    });
  });

  it('takes the speed layer down when its job failed in Kubernetes, and names it', () => {
    const o = observations();
    (o.kubernetes as any).value.resources[2].readiness = {
      state: 'failed',
      message: 'FAILED: driver OOMKilled',
    };
    const h = assessHealth('system:default/unit', targets, o);
    expect(find(h, 'speed-job')).toMatchObject({
      status: 'down',
      reason: `SparkApplication ${targets.speedApplication}: FAILED: driver OOMKilled`,
    });
    expect(h.reason).toBe(
      `Speed layer: SparkApplication ${targets.speedApplication}: FAILED: driver OOMKilled`,
    );
  });

  it('adds Strimzi restart counts to the connectors, and judges the pipeline pods', () => {
    const o = observations();
    const k8s = (o.kubernetes as any).value;
    k8s.resources.push({
      kind: 'KafkaConnector',
      name: targets.cdcConnector,
      readiness: { state: 'ready', message: 'Ready' },
      conditions: [],
      autoRestarts: 3,
    });
    k8s.pods = [
      {
        name: `${targets.kafkaCluster}-combined-0`,
        phase: 'Running',
        ready: true,
        restarts: 0,
      },
      { name: 'postgres-0', phase: 'Running', ready: true, restarts: 1 },
      {
        name: `${targets.speedApplication}-driver`,
        phase: 'Running',
        ready: false,
        restarts: 4,
        reason: 'CrashLoopBackOff',
      },
    ];
    const h = assessHealth('x', targets, o);
    expect(find(h, 'cdc-connector')).toMatchObject({
      status: 'degraded',
      reason: `connector ${targets.cdcConnector} runs, but Strimzi restarted it 3 time(s) after failures: look at its task traces`,
      evidence: { autoRestarts: 3 },
    });
    expect(find(h, 'ingest-pods')).toMatchObject({
      status: 'ok',
      reason: '2 pod(s) ready, 1 restart(s) in their lifetime',
    });
    expect(find(h, 'speed-pods')).toMatchObject({
      status: 'degraded',
      reason: `${targets.speedApplication}-driver not ready (Running), CrashLoopBackOff, 4 restart(s)`,
      evidence: { pods: 1, notReady: 1, restarts: 4 },
    });
  });

  it('reports failed and late DAG runs, and paused DAGs', () => {
    const o = observations();
    const dags = (o.dags as any).value;
    dags[0].runs = [
      {
        runId: 'r2',
        state: 'failed',
        startDate: '2026-12-01T11:00:00Z',
        endDate: '2026-12-01T11:01:00Z',
      },
    ];
    dags[0].failedTasks = [{ taskId: 'load_orders' }];
    dags[1].dag.isPaused = true;
    dags[2].runs = [
      { runId: 'r3', state: 'running', startDate: '2026-12-01T10:30:00Z' },
    ];
    const h = assessHealth('system:default/unit', targets, o);
    expect(find(h, `dag-${targets.dagIds.batchLoad}`)).toMatchObject({
      status: 'down',
      reason: `the newest run of ${targets.dagIds.batchLoad} failed (task load_orders)`,
    });
    expect(find(h, `dag-${targets.dagIds.dbt}`)).toMatchObject({
      status: 'degraded',
      reason: `${targets.dagIds.dbt} is paused`,
    });
    expect(find(h, `dag-${targets.dagIds.reconciliation}`)?.status).toBe('ok');
    const late = observations();
    (late.dags as any).value[0].runs = [
      { runId: 'r4', state: 'running', startDate: '2026-12-01T10:30:00Z' },
    ];
    expect(
      find(assessHealth('x', targets, late), `dag-${targets.dagIds.batchLoad}`),
    ).toMatchObject({
      status: 'degraded',
      reason: `run r4 of ${targets.dagIds.batchLoad} has been running for 90 min, past its 60 min deadline`,
      evidence: { deadlineMissed: true },
    });
  });

  it('degrades a component it cannot check without failing the others, and lists what is not monitored', () => {
    const h = assessHealth(
      'system:default/unit',
      targets,
      observations({
        kubernetes: {
          state: 'failed',
          error: new ProbeError(
            'kubernetes',
            'unreachable',
            'Kubernetes (dev) cluster lp: connect ECONNREFUSED',
          ),
        },
        dags: { state: 'not-configured' },
      }),
    );
    expect(find(h, 'kubernetes')).toMatchObject({
      status: 'degraded',
      reason:
        'Kubernetes cannot be checked: Kubernetes (dev) cluster lp: connect ECONNREFUSED',
    });
    expect(h.layers[0].status).toBe('degraded');
    expect(h.layers[1].status).toBe('ok');
    expect(h.notMonitored).toEqual([
      'Airflow (batch, dbt and reconciliation DAGs)',
    ]);
  });

  it('flags WAL held by the replication slot and a speed layer that stopped writing', () => {
    const o = observations({
      source: {
        state: 'ok',
        value: {
          changes: 1,
          slot: {
            exists: true,
            active: true,
            lagBytes: 3 * 2 ** 30,
            walStatus: 'extended',
          },
        },
      },
      speed: {
        state: 'ok',
        value: [
          {
            source: targets.datasets[0].source,
            topic,
            offsets: { '0': 40 },
            newestEventTime: null,
            lastInsert: null,
          },
        ],
      },
    });
    const h = assessHealth('x', targets, o);
    expect(find(h, 'source')?.reason).toBe(
      `replication slot ${targets.replicationSlot} holds 3.0 GiB of WAL the connector has not confirmed`,
    );
    expect(find(h, 'clickhouse')).toMatchObject({
      status: 'down',
      reason:
        'the speed layer wrote nothing in the last 60 min while 60 events wait in Kafka: is the speed job running?',
    });
  });
});

it('is degraded, saying what to configure, when nothing of the environment is configured', () => {
  const none = { state: 'not-configured' } as const;
  const h = assessHealth('x', targets, {
    ...observations(),
    source: none,
    topics: none,
    lakeSinkLag: none,
    connectors: none,
    speed: none,
    batch: none,
    kubernetes: none,
    dags: none,
  });
  expect(h.status).toBe('degraded');
  expect(h.reason).toBe(
    "nothing is monitored: environment 'dev' has no systems configured; add lambdaPipelines.environments.dev to app-config",
  );
  expect(h.notMonitored).toHaveLength(7);
});

describe('computeThroughput', () => {
  const counters = (n: Partial<Counters>): Counters => ({
    sourceChanges: null,
    ingestOffsets: null,
    speedOffsets: null,
    batchOffsets: null,
    deadLetters: 0,
    speedLag: null,
    batchLag: null,
    lakeSinkLag: null,
    speedNewestEvent: null,
    batchCompleteUpTo: null,
    ...n,
  });
  const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, s));

  it('computes rates from counter growth and finds no bottleneck when every stage keeps up', () => {
    const samples: Sample[] = [0, 30, 60].map((s, i) => ({
      at: at(s),
      counters: counters({
        sourceChanges: i * 30_000,
        ingestOffsets: i * 30_000,
        speedOffsets: i * 30_000 - 5,
        speedLag: 5,
      }),
    }));
    const r = computeThroughput('x', targets, samples, 30);
    expect(r.stages.map(s => [s.id, s.current])).toEqual([
      ['source', 1000],
      ['ingest', 1000],
      ['speed', 1000],
      ['batch', null],
    ]);
    expect(r.stages[1].ofTarget).toBe(1);
    expect(r.bottleneck).toBeNull();
    expect(r.summary).toBe(
      'every stage keeps up with its input; the source brings 1000 events/s, 100% of the 1,000 events/s target (the batch layer is judged once two of its loads are in the samples)',
    );
  });

  it('names the first stage whose backlog grows, and skips counters that went back', () => {
    const samples: Sample[] = [0, 30, 60].map((s, i) => ({
      at: at(s),
      counters: counters({
        sourceChanges: i * 30_000,
        ingestOffsets: i * 30_000,
        speedOffsets: i * 15_000,
        speedLag: i * 15_000,
      }),
    }));
    const r = computeThroughput('x', targets, samples, 30);
    expect(r.bottleneck).toEqual({
      stage: 'speed',
      reason:
        'Speed-layer writes (ClickHouse) handled 500 events/s while kafka ingest (debezium) brought 1000/s over the last 60 s; its backlog grew by 30,000 events',
    });
    const reset = computeThroughput(
      'x',
      targets,
      [samples[1], { at: at(60), counters: counters({ ingestOffsets: 5 }) }],
      30,
    );
    expect(reset.stages[1].series).toEqual([]);
    expect(computeThroughput('x', targets, [], 30).summary).toBe(
      "not enough samples yet (0); rates appear after the sampler's second run",
    );
  });

  it('gives the lag of every consumer and the dead letters per interval', () => {
    const samples: Sample[] = [
      counters({ speedLag: 10, lakeSinkLag: 4, deadLetters: 2 }),
      counters({ speedLag: 7, lakeSinkLag: null, deadLetters: 5 }),
      counters({ speedLag: 0, lakeSinkLag: 1, deadLetters: 1 }),
      counters({ speedLag: 0, lakeSinkLag: 1, deadLetters: 3 }),
    ].map((c, i) => ({ at: at(i * 30), counters: c }));
    const r = computeThroughput('x', targets, samples, 30);
    expect(
      r.lag.map(l => [l.id, l.current, l.series.map(p => p.events)]),
    ).toEqual([
      ['speed', 0, [10, 7, 0, 0]],
      ['lake-sink', 1, [4, 1, 1]],
      ['batch', null, []],
    ]);
    expect(r.lag[1].group).toBe(targets.lakeSinkGroup);
    // The topic was recreated between the second and third sample: no point there.
    expect(r.deadLetters).toEqual({
      topic: targets.deadLetterTopic,
      total: 3,
      series: [
        { t: at(30).toISOString(), newEvents: 3 },
        { t: at(90).toISOString(), newEvents: 2 },
      ],
    });
  });
});

describe('pipelineLinks', () => {
  const spec = parsePipelineSpec(EXAMPLE_PIPELINE_SPEC);
  it('links the Airflow DAGs, the consoles and the DAG repository of the environment', () => {
    const links = pipelineLinks(
      {
        ...spec,
        spec: {
          ...spec.spec,
          dags: {
            ...spec.spec.dags,
            repoUrl: 'git@github.com:acme/orders-dags.git',
          },
        },
      },
      {
        name: 'dev',
        airflow: { url: 'http://airflow:8080', username: 'u', password: 'p' },
        consoles: {
          sparkUi: 'http://spark:4040',
          grafana: 'https://grafana.acme',
        },
      },
    );
    expect(links).toEqual([
      {
        id: 'airflow',
        title: 'Airflow: orders_batch_load',
        url: 'http://airflow:8080/dags/orders_batch_load',
      },
      {
        id: 'airflow',
        title: 'Airflow: orders_reconciliation',
        url: 'http://airflow:8080/dags/orders_reconciliation',
      },
      { id: 'spark-ui', title: 'Spark UI', url: 'http://spark:4040' },
      { id: 'grafana', title: 'Grafana', url: 'https://grafana.acme' },
      {
        id: 'dag-repository',
        title: 'DAG repository',
        url: 'https://github.com/acme/orders-dags',
      },
    ]);
    // Nothing configured, and a local repository: nothing to open.
    expect(
      pipelineLinks(
        {
          ...spec,
          spec: {
            ...spec.spec,
            dags: { ...spec.spec.dags, repoUrl: 'file:///srv/git/dags' },
          },
        },
        undefined,
      ),
    ).toEqual([]);
  });

  it('turns Git remotes into addresses people open', () => {
    expect(browsableRepositoryUrl('https://github.com/acme/dags.git')).toBe(
      'https://github.com/acme/dags',
    );
    expect(
      browsableRepositoryUrl('ssh://git@gitlab.acme:22/data/dags.git'),
    ).toBe('https://gitlab.acme/data/dags');
    expect(browsableRepositoryUrl('file:///srv/dags')).toBeUndefined();
  });
});

describe('scheduleIntervalMinutes', () => {
  it('reads presets and the usual cron shapes', () => {
    expect(
      [
        '@hourly',
        '*/15 * * * *',
        '5 * * * *',
        '0 */6 * * *',
        '0 3 * * *',
        '0,30 * * * *',
        '0 3 * * 1',
      ].map(scheduleIntervalMinutes),
    ).toEqual([60, 15, 60, 360, 1440, 30, 10080]);
  });
});

describe('judgeWindow', () => {
  const figures = (rows: number, amount: string) => ({
    rows,
    distinctKeys: rows,
    deleted: 0,
    fingerprintXor: '7',
    sums: { amount },
  });
  it('is consistent on equal figures, diverged when closed, converging when open', () => {
    expect(
      judgeWindow(figures(3, '1.5'), figures(3, '1.5'), true, 0.01),
    ).toEqual({ status: 'consistent', differences: [] });
    expect(judgeWindow(figures(3, '1.5'), figures(2, '1'), true, 0.01)).toEqual(
      {
        status: 'diverged',
        differences: [
          'rows 3 vs 2',
          'distinct keys 3 vs 2',
          'sum amount 1.5 vs 1',
        ],
      },
    );
    expect(
      judgeWindow(figures(100, '1'), figures(99, '1'), false, 0.05).status,
    ).toBe('converging');
    expect(
      judgeWindow(figures(100, '1'), figures(50, '1'), false, 0.05).differences,
    ).toContain('row gap 50.0% beyond the 5.0% tolerance');
  });
});

describe('MonitorStore (SQLite)', () => {
  it('keeps samples and checks, answers the newest status per pipeline, and prunes by age', async () => {
    const store = await MonitorStore.create(
      mockServices.database.mock({
        getClient: async () =>
          (
            await import('knex')
          ).default({
            client: 'better-sqlite3',
            connection: ':memory:',
            useNullAsDefault: true,
          }),
      } as any),
    );
    const base = {
      environment: 'dev',
      positions: { speed: {}, batch: {} },
      counters: { deadLetters: 0 } as any,
    };
    await store.addSample('system:default/a', {
      ...base,
      at: new Date('2026-11-01T00:00:00Z'),
      status: 'ok',
      reason: 'fine',
    });
    await store.addSample('system:default/a', {
      ...base,
      at: new Date('2026-12-01T00:00:00Z'),
      status: 'down',
      reason: 'broken',
    });
    await store.addSample('system:default/b', {
      ...base,
      at: new Date('2026-12-01T00:00:00Z'),
      status: 'degraded',
      reason: 'meh',
    });
    const statuses = await store.latestStatuses();
    expect(statuses.get('system:default/a')).toMatchObject({
      status: 'down',
      reason: 'broken',
    });
    expect(statuses.get('system:default/b')?.status).toBe('degraded');
    expect(
      (await store.samples('system:default/a', new Date(0))).map(s => s.status),
    ).toEqual(['ok', 'down']);
    expect(await store.prune(new Date('2026-11-15T00:00:00Z'))).toBe(1);
    expect(
      (await store.samples('system:default/a', new Date(0))).map(s => s.status),
    ).toEqual(['down']);
  });
});
