/**
 * End to end: the Lambda pipeline tab and the Pipelines page in a real
 * browser (Debian's Chromium driven by playwright-core), against the app and
 * backend as `scripts/start.sh` runs them, watching a live pipeline on the
 * local stack: PostgreSQL changes captured by Debezium into Kafka, a speed
 * table in ClickHouse kept up to date, batch tables and a watermark in the
 * Snowflake emulator. Then the pipeline's ClickHouse is stopped and the tab
 * must say so.
 *
 * It lives beside the live-pipeline fixtures of the backend's own live
 * tests; it is not part of `yarn test` (it starts the whole app; the
 * package's jest settings leave `src/e2e/` out) but its own step of
 * `scripts/test.sh` (`yarn workspace ... test:e2e`). Screenshots go to a temporary directory, or to
 * `LP_SCREENSHOTS_DIR`; `LP_E2E_WARMUP_SECONDS` lets the load run a while
 * first. To refresh the README's:
 * `LP_SCREENSHOTS_DIR=docs/screenshots LP_E2E_WARMUP_SECONDS=150 yarn workspace @internal/backstage-plugin-lambda-pipeline-backend test:e2e`
 */
import { stackUp } from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Browser, Page } from 'playwright-core';
import yaml from 'yaml';
import { LivePipeline, OrderRow } from '../__testUtils__/livePipeline';
import {
  environmentConfig,
  freePort,
  ownClickHouse,
} from '../__testUtils__/stack';

jest.setTimeout(20 * 60_000);

const ROOT = path.resolve(__dirname, '../../../..');
const log = (message: string) =>
  process.stdout.write(
    `[e2e ${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );

async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  seconds: number,
) {
  const started = Date.now();
  let reported = 0;
  for (;;) {
    if (await probe().catch(() => false)) {
      log(
        `${what}: ready after ${Math.round((Date.now() - started) / 1000)} s`,
      );
      return;
    }
    const elapsed = (Date.now() - started) / 1000;
    if (elapsed > seconds)
      throw new Error(`${what}: not ready after ${seconds} s`);
    if (elapsed - reported >= 20) {
      reported = elapsed;
      log(`waiting for ${what} (${Math.round(elapsed)} s)`);
    }
    await new Promise(r => setTimeout(r, 2000));
  }
}

/** The environment a person's shell would give scripts/start.sh: without jest's NODE_ENV=test (the app's browserslist has no "test" entry) and its worker settings. */
function startEnv(): NodeJS.ProcessEnv {
  const {
    NODE_ENV: _nodeEnv,
    JEST_WORKER_ID: _worker,
    NODE_OPTIONS: _options,
    ...rest
  } = process.env;
  return rest;
}

describe('the Lambda pipeline tab, in a browser, on a live pipeline', () => {
  const name = `lpe-${Date.now().toString(36).slice(-5)}`;
  const shots = process.env.LP_SCREENSHOTS_DIR
    ? path.resolve(ROOT, process.env.LP_SCREENSHOTS_DIR)
    : fs.mkdtempSync(path.join(os.tmpdir(), 'lp-e2e-shots-'));
  let live: LivePipeline;
  let clickhouse: Awaited<ReturnType<typeof ownClickHouse>>;
  let app: ChildProcess | undefined;
  let appLog: string;
  let browser: Browser | undefined;
  let page: Page;
  let appUrl: string;
  let stopLoad = false;
  let load: Promise<void> = Promise.resolve();

  /** The speed job's part, simulated: every 2 s the newest CDC offset of each partition lands in ClickHouse. */
  async function keepSpeedLayerUp() {
    const admin = live.kafka.admin();
    await admin.connect();
    const next = { id: 1_000_000 };
    const speedRow = (partition: number, offset: number, now: string) => {
      const id = next.id++;
      return { id, partition, offset, now };
    };
    try {
      while (!stopLoad) {
        const ends = await admin.fetchTopicOffsets(live.targets.cdcTopics[0]);
        const now = new Date().toISOString().replace('Z', '');
        const rows: OrderRow[] = ends
          .filter(p => Number(p.high) > 0)
          .map(p => speedRow(p.partition, Number(p.high) - 1, now))
          .map(({ id, partition, offset }) => ({
            order_id: id,
            customer_id: 1,
            status: 'NEW',
            amount: '1.00',
            quantity: 1,
            updated_at: now,
            lsn: id,
            fingerprint: String(id),
            partition,
            offset,
          }));
        if (rows.length) await live.writeSpeed(rows).catch(() => undefined);
        await new Promise(r => setTimeout(r, 2000));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Source changes at a steady ~100 rows/s, until stopped. */
  async function changeSource() {
    let next = 1;
    while (!stopLoad) {
      await live.insertSource(100, next);
      next += 100;
      await new Promise(r => setTimeout(r, 1000));
    }
  }

  beforeAll(async () => {
    log('bringing up the stack: postgres kafka connect clickhouse snowflake');
    const env = stackUp([
      'postgres',
      'kafka',
      'connect',
      'clickhouse',
      'snowflake',
    ]);
    clickhouse = await ownClickHouse();
    live = await LivePipeline.start(
      { ...env, LP_CLICKHOUSE_URL: clickhouse.url },
      name,
    );

    // History the consistency check judges: two closed hours in both layers, one row missing from the batch layer.
    const hour = 3600_000;
    const base = Math.floor(Date.now() / hour) * hour - 4 * hour;
    const rows: OrderRow[] = Array.from({ length: 24 }, (_, i) => ({
      order_id: 50_000 + i,
      customer_id: 7,
      status: 'PAID',
      amount: `${i}.25`,
      quantity: i % 3,
      updated_at: new Date(base + (i % 2) * hour + i * 1000)
        .toISOString()
        .replace('Z', ''),
      lsn: 9000 + i,
      fingerprint: String(BigInt(0x1234567) * BigInt(i + 1)),
      partition: 0,
      offset: i,
    }));
    await live.writeSpeed(rows);
    await live.writeBatch(rows, new Date(base + 3 * hour).toISOString(), {
      [live.targets.cdcTopics[0]]: { '0': 24 },
    });
    await live.snowflake(
      `DELETE FROM ${live.table.snowflakeTable} WHERE ORDER_ID = ?`,
      [50_003],
    );
    // Three events the speed job could not read.
    await live.produce(live.targets.deadLetterTopic, 3, 0, () => 'not json {');

    // The catalog: the pipeline as the template registers it (a System pointing at its spec).
    fs.writeFileSync(
      path.join(live.specDir, 'catalog-info.yaml'),
      yaml.stringify({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'System',
        metadata: {
          name,
          title: 'Orders pipeline (live)',
          annotations: { 'lambda-pipelines.io/spec': './pipeline.yaml' },
        },
        spec: { owner: 'group:default/data-platform' },
      }),
    );
    const appPort = await freePort();
    const backendPort = await freePort();
    appUrl = `http://localhost:${appPort}`;
    const configFile = path.join(live.specDir, 'app-config.e2e.yaml');
    fs.writeFileSync(
      configFile,
      yaml.stringify({
        app: { baseUrl: appUrl },
        backend: {
          baseUrl: `http://localhost:${backendPort}`,
          listen: { port: backendPort },
          cors: { origin: appUrl },
        },
        catalog: {
          locations: [
            {
              type: 'file',
              target: path.join(live.specDir, 'catalog-info.yaml'),
            },
            { type: 'file', target: path.join(ROOT, 'examples/org.yaml') },
            {
              type: 'file',
              target: path.join(
                ROOT,
                'templates/lambda-pipeline/template.yaml',
              ),
              rules: [{ allow: ['Template'] }],
            },
          ],
        },
        lambdaPipelines: {
          environments: {
            dev: environmentConfig(env, {
              clickhouse: { url: clickhouse.url, username: 'default' },
            }),
          },
          monitoring: {
            sampleIntervalSeconds: 5,
            probeTimeoutMs: 4000,
            consistencyIntervalMinutes: 1,
          },
        },
      }),
    );

    load = Promise.all([keepSpeedLayerUp(), changeSource()]).then(
      () => undefined,
    );

    log(
      `starting the app (${appUrl}) and backend (port ${backendPort}) with scripts/start.sh`,
    );
    appLog = path.join(live.specDir, 'start.log');
    const out = fs.openSync(appLog, 'w');
    app = spawn(
      'bash',
      [
        path.join(ROOT, 'scripts/start.sh'),
        // Backstage alone: this test brings its own live pipeline.
        '--backstage-only',
        '--config',
        path.join(ROOT, 'app-config.yaml'),
        '--config',
        configFile,
      ],
      {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', out, out],
        env: startEnv(),
      },
    );
    try {
      await waitUntil(
        'the backend',
        async () =>
          (
            await fetch(
              `http://localhost:${backendPort}/api/lambda-pipeline/health`,
            )
          ).ok,
        600,
      );
      await waitUntil(
        'the app',
        async () => (await (await fetch(appUrl)).text()).includes('id="root"'),
        600,
      );
    } catch (error) {
      log(fs.readFileSync(appLog, 'utf8').split('\n').slice(-40).join('\n'));
      throw error;
    }

    // For screenshots with more history in the charts.
    const warmup = Number(process.env.LP_E2E_WARMUP_SECONDS ?? 0);
    if (warmup > 0) {
      log(`letting the pipeline run for ${warmup} s before looking`);
      await new Promise(r => setTimeout(r, warmup * 1000));
    }

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: process.env.LP_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
  });

  afterAll(async () => {
    stopLoad = true;
    await load.catch(() => undefined);
    await browser?.close();
    if (app?.pid) {
      try {
        process.kill(-app.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    clickhouse?.stop();
    await live?.stop().catch(() => undefined);
    log(`screenshots in ${shots}`);
  });

  /** Opens a page of the app, signing in as guest on the way if asked to. */
  async function open(url: string, ready: () => ReturnType<Page['getByText']>) {
    await page.goto(`${appUrl}${url}`, {
      waitUntil: 'domcontentloaded',
      timeout: 300_000,
    });
    const enter = page.getByRole('button', { name: /^enter$/i });
    await enter.or(ready()).first().waitFor({ timeout: 300_000 });
    if (await enter.isVisible()) await enter.click();
    await ready().first().waitFor({ timeout: 120_000 });
  }

  const tab = `/catalog/default/system/${name}/lambda-pipeline`;

  it('shows each layer, the throughput chart, lag, dead letters and the consistency timeline', async () => {
    await open(tab, () => page.getByRole('region', { name: /^Speed layer: / }));
    for (const layer of [
      'CDC / ingest',
      'Speed layer',
      'Batch layer',
      'Serving',
    ])
      await page
        .getByRole('region', {
          name: new RegExp(`^${layer}: (ok|degraded|down)$`),
        })
        .waitFor();
    // The speed layer keeps up with the load (the simulated job writes every 2 s): not down.
    await page
      .getByRole('region', { name: /^Speed layer: (ok|degraded)$/ })
      .waitFor({ timeout: 120_000 });

    // Rates appear once the sampler (every 5 s) has two samples; the tab refreshes every 15 s.
    const chart = page.getByRole('img', {
      name: /^Events per second per stage/,
    });
    await chart.waitFor({ timeout: 120_000 });
    // Lines (not single points) once two rates per stage exist.
    await waitUntil(
      'lines in the throughput chart',
      async () => (await chart.locator('path').count()) >= 2,
      120,
    );
    expect(await chart.getAttribute('aria-labelledby')).toBeTruthy();
    // The target, as the legend states it.
    await page
      .getByRole('list', { name: 'Events per second per stage: legend' })
      .getByText('target 1,000 events/s')
      .waitFor();

    await page.getByText('Consumer lag', { exact: true }).waitFor();
    await page
      .getByRole('img', {
        name: /^Lake sink \(Kafka Connect → Iceberg\) lag: /,
      })
      .waitFor();
    // The dead-letter card names its topic and counts the three poison messages.
    await page.getByText('Dead letters', { exact: true }).waitFor();
    await page
      .locator('code', { hasText: live.targets.deadLetterTopic })
      .first()
      .waitFor();
    await page
      .getByRole('img', { name: /^Dead letters per sample: / })
      .waitFor();

    // The consistency timeline: the hour missing a row is diverged and named, with what to do.
    const timeline = page.getByRole('list', {
      name: `${live.sourceTable}: windows, oldest first`,
    });
    await timeline.waitFor({ timeout: 120_000 });
    const diverged = timeline.locator('li[data-status="diverged"] button');
    expect(await diverged.count()).toBe(1);
    expect(
      await timeline.locator('li[data-status="consistent"]').count(),
    ).toBeGreaterThanOrEqual(1);
    await page.getByText(/^Windows that differ \(1\)/).waitFor();
    await page
      .getByText(/rows 12 vs 11/)
      .first()
      .waitFor();
    await page.getByText('What to do:').waitFor();
    // Keyboard: focus the diverged window and open its figures.
    await diverged.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: /Diverged/ }).waitFor();

    await page.screenshot({
      path: path.join(shots, 'pipeline-tab.png'),
      fullPage: true,
    });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload({ waitUntil: 'domcontentloaded' });
    await chart.waitFor({ timeout: 120_000 });
    await page.screenshot({
      path: path.join(shots, 'pipeline-tab-dark.png'),
      fullPage: true,
    });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('lists the pipeline on the Pipelines page with its status and throughput against the target', async () => {
    await open('/lambda-pipelines', () =>
      page.getByText('Orders pipeline (live)'),
    );
    const row = page.getByRole('row', { name: /Orders pipeline \(live\)/ });
    expect(await row.count()).toBe(1);
    await row.getByText(/of 1,000 events\/s/).waitFor({ timeout: 60_000 });
    await row.getByText(/^(OK|Degraded|Down)$/).waitFor();
    // A link styled as a button.
    const create = page.getByRole('button', { name: 'Create pipeline' });
    await create.waitFor();
    await page.screenshot({
      path: path.join(shots, 'pipelines-page.png'),
      fullPage: true,
    });
    await create.click();
    await page.waitForURL(/\/create\/templates\/default\/lambda-pipeline/);
  });

  it('reports the speed layer down, with the reason, when its ClickHouse stops', async () => {
    await open(tab, () => page.getByRole('region', { name: /^Speed layer: / }));
    clickhouse.stop();
    log("stopped the pipeline's ClickHouse");
    await page
      .getByRole('region', { name: 'Speed layer: down' })
      .waitFor({ timeout: 120_000 });
    await page
      .getByText(/ClickHouse cannot be reached/)
      .first()
      .waitFor();
    expect(
      await page.getByRole('region', { name: /^Speed layer: / }).textContent(),
    ).toMatch(/ECONNREFUSED|cannot be reached/);
    // The other layers are still reported.
    await page
      .getByRole('region', { name: /^CDC \/ ingest: (ok|degraded)$/ })
      .waitFor();
    await page.screenshot({
      path: path.join(shots, 'pipeline-tab-clickhouse-down.png'),
      fullPage: true,
    });
  });
});
