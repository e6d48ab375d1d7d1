import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  PipelineConsistencyResponse,
  PipelineHealthResponse,
  PipelineThroughputResponse,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import { stackUp } from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';
import fs from 'fs';
import path from 'path';
import request from 'supertest';
import { LivePipeline, OrderRow } from './__testUtils__/livePipeline';
import { openApiProblems } from './__testUtils__/openapi';
import {
  environmentConfig,
  ownClickHouse,
  recordingScheduler,
} from './__testUtils__/stack';
import { lambdaPipelinePlugin } from './plugin';

jest.setTimeout(20 * 60_000);

const layer = (health: PipelineHealthResponse, id: string) =>
  health.layers.find(l => l.id === id)!;
const component = (health: PipelineHealthResponse, id: string) =>
  health.layers.flatMap(l => l.components).find(c => c.id === id);

describe('lambda-pipeline backend on the real stack', () => {
  const run = Date.now().toString(36).slice(-5);
  let env: Record<string, string>;
  let main: LivePipeline;
  let failing: LivePipeline;
  let server: any;
  let scheduler: ReturnType<typeof recordingScheduler>;
  let stopBackend: () => Promise<void>;

  const get = (url: string) =>
    request(server).get(`/api/lambda-pipeline${url}`);

  beforeAll(async () => {
    env = stackUp(['postgres', 'kafka', 'connect', 'clickhouse', 'snowflake']);
    main = await LivePipeline.start(env, `lpm-${run}`);
    failing = await LivePipeline.start(env, `lpf-${run}`, {
      connector: 'failing',
    });
    for (const p of [main, failing]) {
      fs.writeFileSync(path.join(p.specDir, 'catalog-info.yaml'), '');
    }
    scheduler = recordingScheduler();
    const backend = await startTestBackend({
      features: [
        lambdaPipelinePlugin,
        scheduler.factory,
        mockServices.urlReader.factory(),
        catalogServiceMock.factory({
          entities: [main.entity(), failing.entity()],
        }),
        mockServices.rootConfig.factory({
          data: {
            lambdaPipelines: {
              environments: { dev: environmentConfig(env) },
              monitoring: { probeTimeoutMs: 20_000, sampleIntervalSeconds: 5 },
            },
          },
        }),
      ],
    });
    server = backend.server;
    stopBackend = () => backend.stop();
  });

  afterAll(async () => {
    await stopBackend?.();
    await Promise.all([main?.stop(), failing?.stop()]);
  });

  it('reports every layer with reasons and evidence, and the connector that is missing', async () => {
    await main.insertSource(20, 1);
    // Wait until Debezium delivered the inserts to the CDC topic.
    const admin = main.kafka.admin();
    await admin.connect();
    let ends: Array<{ partition: number; high: string }> = [];
    const total = () => ends.reduce((s, p) => s + Number(p.high), 0);
    for (let i = 0; i < 240; i++) {
      ends = await admin.fetchTopicOffsets(main.targets.cdcTopics[0]);
      if (total() >= 20) break;
      await new Promise(r => setTimeout(r, 500));
    }
    await admin.disconnect();
    if (total() < 20)
      throw new Error(
        `Debezium delivered ${total()} of the 20 inserts to ${
          main.targets.cdcTopics[0]
        } in 120 s`,
      );
    // The speed layer holds everything up to the end of every partition.
    const now = new Date();
    const rows: OrderRow[] = ends
      .filter(p => Number(p.high) > 0)
      .map((p, i) => ({
        order_id: 1000 + i,
        customer_id: 1,
        status: 'NEW',
        amount: '1.50',
        quantity: 1,
        updated_at: now.toISOString().replace('Z', ''),
        lsn: 100 + i,
        fingerprint: String(1234 + i),
        partition: p.partition,
        offset: Number(p.high) - 1,
      }));
    await main.writeSpeed(rows);

    const res = await get(
      `/pipelines/default/${main.spec.metadata.name}/health`,
    ).expect(200);
    const health: PipelineHealthResponse = res.body;
    expect(openApiProblems('PipelineHealth', health)).toEqual([]);
    expect(health.environment).toBe('dev');
    expect(component(health, 'source')).toMatchObject({
      status: 'ok',
      evidence: { slot: main.targets.replicationSlot, active: true },
    });
    expect(component(health, 'cdc-connector')).toMatchObject({
      status: 'ok',
      reason: `connector ${main.targets.cdcConnector} and its 1 task(s) are RUNNING`,
    });
    expect(component(health, 'kafka')?.status).toBe('ok');
    expect(component(health, 'kafka')?.evidence.events).toBeGreaterThanOrEqual(
      20,
    );
    expect(component(health, 'dead-letter')).toMatchObject({
      status: 'ok',
      reason: 'no dead-letter events',
    });
    expect(layer(health, 'ingest').status).toBe('ok');
    expect(component(health, 'clickhouse')).toMatchObject({
      status: 'ok',
      reason: 'the speed layer has every event Kafka holds',
      evidence: { lagEvents: 0 },
    });
    expect(layer(health, 'speed').freshness?.text).toMatch(
      /^speed layer is up to date/,
    );
    expect(component(health, 'lake-sink')).toMatchObject({
      status: 'down',
      reason: `connector ${main.targets.lakeSinkConnector} is not deployed in Kafka Connect`,
    });
    expect(component(health, 'snowflake')).toMatchObject({
      status: 'degraded',
      reason:
        'no batch load recorded yet (the batch DAG has not loaded this pipeline)',
    });
    expect(layer(health, 'batch').status).toBe('down');
    expect(health.status).toBe('down');
    expect(health.reason).toBe(
      `Batch layer: connector ${main.targets.lakeSinkConnector} is not deployed in Kafka Connect`,
    );
    expect(health.notMonitored).toEqual([
      'Kubernetes (Strimzi and Spark operator resources, pods)',
      'Airflow (batch, dbt and reconciliation DAGs)',
    ]);
  });

  it('names a failed Debezium task with its trace, as the ingest layer being down', async () => {
    let health: PipelineHealthResponse | undefined;
    for (let i = 0; i < 60; i++) {
      health = (
        await get(
          `/pipelines/default/${failing.spec.metadata.name}/health`,
        ).expect(200)
      ).body;
      if (component(health!, 'cdc-connector')?.status === 'down') break;
      await new Promise(r => setTimeout(r, 1000));
    }
    expect(component(health!, 'cdc-connector')).toMatchObject({
      status: 'down',
      reason:
        `task 0 of ${failing.targets.cdcConnector} FAILED: org.apache.kafka.connect.errors.ConnectException: Publication autocreation is disabled, ` +
        `please create one and restart the connector.. Fix the cause, then restart it (POST /connectors/${failing.targets.cdcConnector}/restart?includeTasks=true&onlyFailed=true).`,
      evidence: { state: 'RUNNING', tasks: 1, runningTasks: 0 },
    });
    expect(layer(health!, 'ingest').status).toBe('down');
    // Its replication slot was never created.
    expect(component(health!, 'source')).toMatchObject({ status: 'down' });
  });

  it('counts new dead-letter events since the last sample', async () => {
    await scheduler.run('lambda-pipeline-sampler');
    await main.produce(main.targets.deadLetterTopic, 3, 0, () => 'not json {');
    const health: PipelineHealthResponse = (
      await get(`/pipelines/default/${main.spec.metadata.name}/health`).expect(
        200,
      )
    ).body;
    expect(component(health, 'dead-letter')).toMatchObject({
      status: 'degraded',
      evidence: {
        topic: main.targets.deadLetterTopic,
        total: 3,
        newSinceLastSample: 3,
      },
    });
    expect(component(health, 'dead-letter')?.reason).toMatch(
      new RegExp(
        `^3 new event\\(s\\) in ${main.targets.deadLetterTopic.replace(
          /\./g,
          '\\.',
        )} in the last \\d+ s: read their lp.error headers`,
      ),
    );
    // The pipelines list shows the sampled health.
    const list = (await get('/pipelines').expect(200)).body.items;
    for (const item of list)
      expect(openApiProblems('PipelineSummary', item)).toEqual([]);
    const listed = list.find((p: any) => p.name === main.spec.metadata.name);
    expect(listed.health).toMatchObject({ status: 'down' });
    expect(listed).toMatchObject({
      environment: main.targets.environment,
      throughput: {
        targetEventsPerSecond: main.targets.targetEventsPerSecond,
      },
    });
  });

  it('measures throughput from produced load within 10% of the produced rate', async () => {
    const rate = 400;
    const seconds = 10;
    const topic = main.targets.cdcTopics[0];
    const admin = main.kafka.admin();
    await admin.connect();
    const total = async () =>
      (await admin.fetchTopicOffsets(topic)).reduce(
        (s, p) => s + Number(p.high),
        0,
      );
    await scheduler.run('lambda-pipeline-sampler');
    const before = await total();
    const started = Date.now();
    await main.produce(topic, rate * seconds, seconds, () =>
      JSON.stringify({ payload: { op: 'c' } }),
    );
    const elapsed = (Date.now() - started) / 1000;
    await scheduler.run('lambda-pipeline-sampler');
    const produced = (await total()) - before;
    await admin.disconnect();
    const body: PipelineThroughputResponse = (
      await get(
        `/pipelines/default/${main.spec.metadata.name}/throughput?windowMinutes=10`,
      ).expect(200)
    ).body;
    expect(openApiProblems('PipelineThroughput', body)).toEqual([]);
    // The 3 poison messages of the previous test, in the interval they arrived in.
    expect(body.deadLetters.topic).toBe(main.targets.deadLetterTopic);
    expect(body.deadLetters.total).toBe(3);
    expect(
      body.deadLetters.series.reduce((sum, p) => sum + p.newEvents, 0),
    ).toBe(3);
    const ingest = body.stages.find(s => s.id === 'ingest')!;
    expect(produced).toBe(rate * seconds);
    expect(ingest.current).not.toBeNull();
    expect(Math.abs(ingest.current! - rate) / rate).toBeLessThan(0.1);
    // The measured rate is the produced events over the time between the two samples.
    expect(ingest.current!).toBeLessThanOrEqual(produced / elapsed + 1);
    expect(ingest.series.length).toBeGreaterThanOrEqual(1);
    expect(body.targetEventsPerSecond).toBe(1000);
    expect(ingest.ofTarget).toBeCloseTo(ingest.current! / 1000, 2);
    // The speed layer wrote nothing of this load: its backlog grew, so it is the bottleneck.
    expect(body.bottleneck).toMatchObject({ stage: 'speed' });
    expect(body.bottleneck?.reason).toMatch(
      /^Speed-layer writes \(ClickHouse\) handled 0 events\/s while kafka ingest \(debezium\) brought \d+(\.\d)?\/s/,
    );
  });

  it('reconciles the layers window by window: consistent on equal data, then diverged naming the window', async () => {
    const hour = 3600_000;
    const base = Math.floor(Date.now() / hour) * hour - 4 * hour;
    const row = (
      id: number,
      windowOffset: number,
      amount: string,
    ): OrderRow => ({
      order_id: 50_000 + id,
      customer_id: 7,
      status: 'PAID',
      amount,
      quantity: id % 3,
      updated_at: new Date(base + windowOffset * hour + id * 1000)
        .toISOString()
        .replace('Z', ''),
      lsn: 9000 + id,
      fingerprint: String(BigInt(0x1234567) * BigInt(id + 1)),
      partition: 0,
      offset: id,
    });
    const rows = [
      ...Array.from({ length: 10 }, (_, i) => row(i, 0, `${i}.25`)),
      ...Array.from({ length: 10 }, (_, i) => row(100 + i, 1, '2.50')),
      // A key whose latest version is a delete, in both layers.
      { ...row(200, 1, '9.99'), deleted: true },
    ];
    await main.writeSpeed(rows);
    const watermark = new Date(base + 3 * hour).toISOString();
    await main.writeBatch(rows, watermark, {
      [main.targets.cdcTopics[0]]: { '0': 200 },
    });

    const consistent: PipelineConsistencyResponse = (
      await get(
        `/pipelines/default/${main.spec.metadata.name}/consistency?refresh=true`,
      ).expect(200)
    ).body;
    const judged = consistent.windows.filter(
      w => w.windowStart < new Date(base + 2 * hour).toISOString(),
    );
    expect(judged.map(w => [w.windowStart, w.closed, w.status])).toEqual([
      [new Date(base).toISOString(), true, 'consistent'],
      [new Date(base + hour).toISOString(), true, 'consistent'],
    ]);
    expect(judged[0].speed).toEqual(judged[0].batch);
    expect(judged[0].speed).toMatchObject({
      rows: 10,
      distinctKeys: 10,
      deleted: 0,
      sums: { amount: '47.5', quantity: '9' },
    });
    expect(judged[1].speed).toMatchObject({
      rows: 10,
      distinctKeys: 10,
      deleted: 1,
      sums: { amount: '25' },
    });
    expect(judged[1].batch).toEqual(judged[1].speed);
    expect(consistent.batchWatermark).toBe(new Date(watermark).toISOString());

    // One row disappears from the batch layer in the first window.
    await main.snowflake(
      `DELETE FROM ${main.table.snowflakeTable} WHERE ORDER_ID = ?`,
      [50_003],
    );
    const diverged: PipelineConsistencyResponse = (
      await get(
        `/pipelines/default/${main.spec.metadata.name}/consistency?refresh=true`,
      ).expect(200)
    ).body;
    expect(openApiProblems('PipelineConsistency', diverged)).toEqual([]);
    expect(diverged.status).toBe('diverged');
    const bad = diverged.windows.filter(w => w.status === 'diverged');
    expect(bad.map(w => w.windowStart)).toEqual([new Date(base).toISOString()]);
    expect(bad[0].differences).toEqual([
      'rows 10 vs 9',
      'distinct keys 10 vs 9',
      expect.stringMatching(/^fingerprint xor -?\d+ vs -?\d+$/),
      'sum amount 47.5 vs 44.25',
    ]);
    expect(diverged.reason).toMatch(
      new RegExp(
        `^1 closed window\\(s\\) differ: ${main.sourceTable.replace(
          '.',
          '\\.',
        )} ${new Date(base)
          .toISOString()
          .replace(/\./g, '\\.')} \\(rows 10 vs 9;`,
      ),
    );
    expect(diverged.repair).toMatch(/^Replay the window’s Kafka offsets/);
    // History, newest first: this check, then the one before it, which had no diverged window.
    expect(diverged.history[0]).toMatchObject({
      status: 'diverged',
      diverged: 1,
    });
    expect(diverged.history[1]).toMatchObject({ diverged: 0 });
  });

  it('reports the speed layer down when its ClickHouse stops, and still reports the rest', async () => {
    // A ClickHouse of its own (the stack's, started in another state directory), stopped mid-test.
    const clickhouse = await ownClickHouse();
    const port = new URL(clickhouse.url).port;
    const name = `lpc-${run}`;
    const other = await LivePipeline.start(
      { ...env, LP_CLICKHOUSE_URL: clickhouse.url },
      name,
    );
    fs.writeFileSync(path.join(other.specDir, 'catalog-info.yaml'), '');
    const backend = await startTestBackend({
      features: [
        lambdaPipelinePlugin,
        recordingScheduler().factory,
        mockServices.urlReader.factory(),
        catalogServiceMock.factory({ entities: [other.entity()] }),
        mockServices.rootConfig.factory({
          data: {
            lambdaPipelines: {
              environments: {
                dev: environmentConfig(env, {
                  clickhouse: { url: clickhouse.url, username: 'default' },
                }),
              },
              monitoring: { probeTimeoutMs: 10_000 },
            },
          },
        }),
      ],
    });
    try {
      const healthOf = async () =>
        (
          await request(backend.server)
            .get(`/api/lambda-pipeline/pipelines/default/${name}/health`)
            .expect(200)
        ).body as PipelineHealthResponse;
      expect(component(await healthOf(), 'clickhouse')?.status).not.toBe(
        'down',
      );
      clickhouse.stop();
      const health = await healthOf();
      expect(component(health, 'clickhouse')).toMatchObject({
        status: 'down',
        evidence: { error: 'unreachable' },
      });
      expect(component(health, 'clickhouse')?.reason).toMatch(
        new RegExp(
          `^ClickHouse cannot be reached: ClickHouse \\(dev\\) at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`,
        ),
      );
      expect(layer(health, 'speed')).toMatchObject({ status: 'down' });
      expect(
        layer(health, 'serving').components.find(c => c.id === 'speed-view'),
      ).toMatchObject({ status: 'down' });
      // The rest is still reported from its own probes.
      expect(component(health, 'cdc-connector')?.status).toBe('ok');
      expect(component(health, 'kafka')?.status).toBe('ok');
      expect(component(health, 'snowflake')).toBeDefined();
    } finally {
      await backend.stop();
      clickhouse.stop();
      await other.stop().catch(() => undefined);
    }
  });

  it('validates parameters, naming them, and needs credentials', async () => {
    const name = main.spec.metadata.name;
    const bad = await get(
      `/pipelines/default/${name}/throughput?windowMinutes=0`,
    ).expect(400);
    expect(bad.body.error.message).toBe(
      "windowMinutes must be a whole number of minutes between 1 and 10080 (the retention); got '0'.",
    );
    const refresh = await get(
      `/pipelines/default/${name}/consistency?refresh=maybe`,
    ).expect(400);
    expect(refresh.body.error.message).toBe(
      "refresh must be 'true' or 'false'; got 'maybe'.",
    );
    await get('/pipelines/default/nope/health').expect(404);
    await request(server)
      .get(`/api/lambda-pipeline/pipelines/default/${name}/health`)
      .set('Authorization', 'Bearer mock-none-token')
      .expect(401);
  });
});
