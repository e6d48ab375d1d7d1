// Smoke test of the README's start command: runs scripts/start.sh (on spare
// ports, so a developer's running instance is not disturbed), waits for the
// backend and the app, and checks what a newcomer would see: no plugin startup
// failure, our plugins answering, the template and the example pipeline in the
// catalog, and the template running through the real scaffolder (dry run).
// Then the live demo start.sh creates (here named 'smoke', at a low rate):
// scripts/e2e-pipeline.mjs checks it end to end, with fault tests.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipelineEndToEnd } from './e2e-pipeline.mjs';

const root = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '..',
);
const appPort = Number(process.env.LP_SMOKE_APP_PORT ?? 3300);
const backendPort = Number(process.env.LP_SMOKE_BACKEND_PORT ?? 7300);
const backend = `http://localhost:${backendPort}`;
const app = `http://localhost:${appPort}`;
const logFile = path.join(
  fs.mkdtempSync(path.join(os.tmpdir(), 'lp-smoke-')),
  'start.log',
);

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    console.log(`  ✓ ${name}`);
  } else {
    failed++;
    console.log(`  ✕ ${name}${detail ? `\n      ${detail}` : ''}`);
  }
}

// The demo pipeline of this run: created anew by start.sh through the template.
const demo = process.env.LP_SMOKE_DEMO_NAME ?? 'smoke';
const lpStack = (...args) =>
  execFileSync(process.execPath, [path.join(root, 'stack/cli.mjs'), ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
function removeDemo() {
  const stackDir = process.env.LP_STACK_DIR ?? path.join(root, '.lp-stack');
  if (fs.existsSync(path.join(stackDir, 'pipelines', demo))) {
    try {
      lpStack('pipeline', 'delete', demo);
    } catch {
      // reported by the CLI; the repositories go anyway
    }
  }
  for (const dir of [
    `.lp-repos/${demo}-platform.git`,
    `.lp-repos/${demo}-dags.git`,
    `.lp-repos/checkouts/${demo}-platform`,
    `.lp-repos/checkouts/${demo}-dags`,
  ]) {
    fs.rmSync(path.join(root, dir), { recursive: true, force: true });
  }
}
removeDemo();

const out = fs.openSync(logFile, 'w');
const child = spawn('bash', [path.join(root, 'scripts/start.sh')], {
  cwd: root,
  detached: true,
  stdio: ['ignore', out, out],
  env: {
    ...process.env,
    NODE_OPTIONS: '',
    APP_CONFIG_app_baseUrl: app,
    APP_CONFIG_backend_baseUrl: backend,
    APP_CONFIG_backend_listen_port: String(backendPort),
    APP_CONFIG_backend_cors_origin: app,
    LP_DEMO_NAME: demo,
    LP_DEMO_RATE: process.env.LP_SMOKE_DEMO_RATE ?? '200',
    // Batch cycles: the first 90 s after start, then when the test asks.
    LP_DEMO_BATCH_EVERY: '3600',
  },
});
const stop = () => {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
};
process.on('exit', stop);
process.on('SIGINT', () => process.exit(130));

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const log = () => fs.readFileSync(logFile, 'utf8');

async function waitFor(what, probe, timeoutSeconds) {
  const started = Date.now();
  let lastReport = 0;
  for (;;) {
    try {
      if (await probe()) {
        console.log(
          `  ${what}: ready after ${Math.round(
            (Date.now() - started) / 1000,
          )} s`,
        );
        return true;
      }
    } catch {
      // not up yet
    }
    const elapsed = (Date.now() - started) / 1000;
    if (child.exitCode !== null || elapsed > timeoutSeconds) {
      console.log(
        `  ${what}: not ready after ${Math.round(
          elapsed,
        )} s; last lines of ${logFile}:`,
      );
      console.log(
        log()
          .split('\n')
          .filter(line => !line.includes('rootHttpRouter'))
          .slice(-30)
          .join('\n'),
      );
      return false;
    }
    if (elapsed - lastReport >= 15) {
      lastReport = elapsed;
      console.log(`  waiting for ${what} (${Math.round(elapsed)} s)`);
    }
    await sleep(2000);
  }
}

const json = async (url, init = {}) => {
  const response = await fetch(url, init);
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
};

/** The template's skeleton files, as the template editor sends them to a dry run. */
function skeletonContents() {
  const templateRoot = path.join(root, 'templates/lambda-pipeline');
  const out = [];
  const walk = rel => {
    for (const entry of fs.readdirSync(path.join(templateRoot, rel), {
      withFileTypes: true,
    })) {
      const child = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) {
        walk(child);
      } else if (child !== 'template.yaml') {
        out.push({
          path: child,
          base64Content: fs
            .readFileSync(path.join(templateRoot, child))
            .toString('base64'),
        });
      }
    }
  };
  walk('');
  return out;
}

const validValues = {
  name: 'payments',
  description: 'Payment changes',
  owner: 'group:default/data-platform',
  system: '',
  database: 'billing',
  tables: [
    {
      schema: 'public',
      table: 'payments',
      columns: [
        { name: 'payment_id', type: 'uuid', nullable: false },
        { name: 'amount_cents', type: 'bigint' },
        { name: 'created_at', type: 'timestamptz', nullable: false },
      ],
      primaryKey: ['payment_id'],
      eventTimeColumn: 'created_at',
      measures: ['amount_cents'],
    },
  ],
  targetEventsPerSecond: 20000,
  memoryBudget: '16Gi',
  profile: 'cloud',
  bucket: 'payments-lake',
  region: 'eu-west-1',
  kmsKeyId: 'alias/payments-lake',
  catalogType: 'glue',
  catalogUri: '',
  snowflakeAccount: 'myorg-myaccount',
  snowflakeWarehouse: 'TRANSFORMING',
  snowflakeDatabase: 'ANALYTICS',
  snowflakeSchema: 'PAYMENTS',
  snowflakeRole: 'PAYMENTS_LOADER',
  snowflakeUser: 'PAYMENTS_SVC',
  dagRepoUrl: 'https://git.example.com/data/payments-dags.git',
  syncPeriodSeconds: 60,
  secretPostgres: 'payments-postgres',
  secretClickhouse: 'payments-clickhouse',
  secretS3: 'payments-s3',
  secretSnowflake: 'payments-snowflake',
  secretGitSync: 'payments-git-sync',
  secretAirflowDatabase: 'payments-airflow-db',
  publishTo: 'local',
  lakeSink: 'iceberg',
};

async function main() {
  console.log(
    `starting scripts/start.sh (app ${app}, backend ${backend}); log: ${logFile}`,
  );
  const backendUp = await waitFor(
    'backend readiness',
    async () =>
      (await fetch(`${backend}/.backstage/health/v1/readiness`)).status === 200,
    300,
  );
  check('backend readiness endpoint answers 200', backendUp);
  if (!backendUp) return;

  const startupLog = log();
  check(
    'no plugin startup failure in the backend log',
    !/startup failed|threw an error during startup|Unhandled rejection/i.test(
      startupLog,
    ),
    startupLog
      .split('\n')
      .filter(line => /startup failed|threw an error/i.test(line))
      .join('\n'),
  );
  const initialized =
    /Plugin initialization started: ([^\n]*)/.exec(startupLog)?.[1] ?? '';
  check(
    "the backend initialises the 'lambda-pipeline' plugin",
    initialized.includes("'lambda-pipeline'"),
    initialized,
  );

  const health = await json(`${backend}/api/lambda-pipeline/health`);
  check(
    'GET /api/lambda-pipeline/health answers ok without credentials',
    health.status === 200 && health.body.status === 'ok',
    JSON.stringify(health),
  );

  const guest = await json(`${backend}/api/auth/guest/refresh`);
  const token = guest.body?.backstageIdentity?.token;
  check(
    'guest sign-in issues a token',
    Boolean(token),
    JSON.stringify(guest).slice(0, 300),
  );
  const auth = {
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
    },
  };

  // The catalog ingests its file locations shortly after start.
  let template;
  await waitFor(
    'the template in the catalog',
    async () => {
      template = await json(
        `${backend}/api/catalog/entities/by-name/template/default/lambda-pipeline`,
        auth,
      );
      return template.status === 200;
    },
    120,
  );
  check(
    'the "Create pipeline" template is in the catalog',
    template?.status === 200,
    JSON.stringify(template).slice(0, 300),
  );

  let pipelines;
  await waitFor(
    'the example pipeline',
    async () => {
      pipelines = await json(`${backend}/api/lambda-pipeline/pipelines`, auth);
      const listed = (pipelines.body?.items ?? []).map(p => p.entityRef);
      return (
        listed.includes('system:default/orders') &&
        listed.includes(`system:default/${demo}`)
      );
    },
    420,
  );
  const refs = (pipelines?.body?.items ?? []).map(p => p.entityRef).sort();
  check(
    // One entry per pipeline: the System (its jobs Component is not a pipeline of its own).
    'GET /pipelines lists the example pipeline and the demo pipeline once each, as their Systems',
    JSON.stringify(refs) ===
      JSON.stringify(
        [`system:default/${demo}`, 'system:default/orders'].sort(),
      ),
    JSON.stringify(pipelines),
  );

  // The catalog module lists the example pipeline's datasets with lineage
  // (first run about 10 s after start).
  let clickhouseTable;
  await waitFor(
    "the example pipeline's datasets",
    async () => {
      clickhouseTable = await json(
        `${backend}/api/catalog/entities/by-name/resource/default/orders-clickhouse-orders`,
        auth,
      );
      return clickhouseTable.status === 200;
    },
    120,
  );
  check(
    "the catalog lists the example pipeline's datasets with their lineage",
    clickhouseTable?.status === 200 &&
      clickhouseTable.body.relations?.some(
        r =>
          r.type === 'dependsOn' &&
          r.targetRef === 'resource:default/orders-topic-orders.public.orders',
      ),
    JSON.stringify(clickhouseTable).slice(0, 400),
  );

  const spec = await json(
    `${backend}/api/lambda-pipeline/pipelines/default/orders/spec`,
    auth,
  );
  check(
    'GET /pipelines/default/orders/spec returns the validated spec and sizing',
    spec.status === 200 && spec.body.sizing?.partitions === 4,
    JSON.stringify(spec).slice(0, 400),
  );

  const actions = await json(`${backend}/api/scaffolder/v2/actions`, auth);
  check(
    'the scaffolder offers lambda:spec:validate and lambda:pipeline:plan',
    Array.isArray(actions.body) &&
      ['lambda:spec:validate', 'lambda:pipeline:plan'].every(id =>
        actions.body.some(a => a.id === id),
      ),
  );

  if (template?.status === 200) {
    const dryRun = values =>
      json(`${backend}/api/scaffolder/v2/dry-run`, {
        ...auth,
        method: 'POST',
        body: JSON.stringify({
          template: template.body,
          values,
          secrets: {},
          directoryContents: skeletonContents(),
        }),
      });
    const ok = await dryRun(validValues);
    const okMessages = (ok.body?.log ?? [])
      .map(entry => entry.body?.message ?? '')
      .join('\n');
    check(
      'the template runs through the real scaffolder (dry run) and plans the pipeline',
      ok.status === 200 &&
        /Pipeline payments: 1 source table\(s\), 4 partitions per CDC topic.*\(dry run\)/.test(
          okMessages,
        ),
      `${ok.status} ${
        okMessages.slice(0, 800) || JSON.stringify(ok.body).slice(0, 800)
      }`,
    );
    check(
      'the dry run outputs the plan',
      JSON.stringify(ok.body?.output ?? {}).includes(
        '4 partitions per CDC topic',
      ),
      JSON.stringify(ok.body?.output ?? ok.body).slice(0, 400),
    );

    const tooBig = await dryRun({ ...validValues, memoryBudget: '12Gi' });
    const tooBigText = JSON.stringify(tooBig.body);
    check(
      'a spec that does not fit is refused naming spec.resources.memoryBudget and the form field',
      /spec\.resources\.memoryBudget \(form field 'memoryBudget'\): 12Gi is below the/.test(
        tooBigText,
      ),
      tooBigText.slice(0, 800),
    );

    // The form itself refuses a credential in a Secret field (pattern), before
    // any action runs; the value must not reach the backend log.
    const credential = await dryRun({
      ...validValues,
      secretSnowflake: '-----BEGIN PRIVATE KEY-----MIIEvQIBADAN',
    });
    check(
      'the form refuses a credential typed into a Secret field',
      credential.status === 400 &&
        JSON.stringify(credential.body).includes('secretSnowflake'),
      JSON.stringify(credential.body).slice(0, 400),
    );
    check(
      'the credential does not appear in the backend log',
      !log().includes('MIIEvQIBADAN'),
    );
  }

  const appUp = await waitFor(
    'the app (frontend dev server)',
    async () => {
      const response = await fetch(app);
      return (
        response.status === 200 && (await response.text()).includes('id="root"')
      );
    },
    420,
  );
  check('the app serves its page', appUp);
  if (appUp) {
    await browserChecks();
  }
  console.log(`the demo pipeline '${demo}', end to end with faults:`);
  await pipelineEndToEnd({
    name: demo,
    backend,
    token,
    check,
    progress: message =>
      console.log(`  [${new Date().toISOString().slice(11, 19)}] ${message}`),
  });
  if (appUp) await demoTabChecks();
}

/** The demo pipeline's tab in the browser: its dead letters counted. */
async function demoTabChecks() {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.LP_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1000 },
    });
    await page.goto(`${app}/catalog/default/system/${demo}/lambda-pipeline`, {
      waitUntil: 'networkidle',
      timeout: 300_000,
    });
    const enter = page.getByRole('button', { name: /^enter$/i });
    const caption = page.getByText(`events in ${demo}.dlq`).first();
    let shown = '';
    try {
      await enter.or(caption).first().waitFor({ timeout: 120_000 });
      if (await enter.isVisible()) await enter.click();
      await caption.waitFor({ timeout: 60_000 });
      shown = await caption
        .locator('xpath=preceding-sibling::*[1]')
        .innerText();
    } catch (error) {
      shown = `not shown: ${error.message}`;
    }
    await page.screenshot({
      path: path.join(path.dirname(logFile), 'demo-tab.png'),
      fullPage: true,
    });
    check(
      `browser: the ${demo} tab counts the dead letters (poison messages)`,
      Number(shown.replace(/[^0-9]/g, '')) >= 5,
      `the Dead letters card shows '${shown}'`,
    );
  } finally {
    await browser.close();
  }
}

/** What a person sees: sign in as guest, open the pages, no runtime errors. */
async function browserChecks() {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.LP_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const shots = path.dirname(logFile);
  try {
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1000 },
    });
    const pageErrors = [];
    page.on('pageerror', error => pageErrors.push(String(error)));
    const visit = async (url, expected, shot) => {
      await page.goto(`${app}${url}`, {
        waitUntil: 'networkidle',
        timeout: 300_000,
      });
      const enter = page.getByRole('button', { name: /^enter$/i });
      const target = page.getByText(expected).first();
      let found = true;
      try {
        // Either the guest sign-in page or the page itself comes up first.
        await enter.or(target).first().waitFor({ timeout: 120_000 });
        if (await enter.isVisible()) {
          await enter.click();
        }
        await target.waitFor({ timeout: 60_000 });
      } catch {
        found = false;
      }
      await page.screenshot({
        path: path.join(shots, `${shot}.png`),
        fullPage: true,
      });
      return found;
    };
    check(
      'browser: the catalog lists the example pipeline',
      await visit('/', 'Orders pipeline', 'catalog'),
    );
    check(
      'browser: "Create pipeline" is offered under Create',
      await visit('/create', 'Create pipeline', 'create'),
    );
    check(
      'browser: the Lambda pipeline tab shows the pipeline',
      await visit(
        '/catalog/default/system/orders/lambda-pipeline',
        'Datasets per source table',
        'pipeline-tab',
      ),
    );
    check(
      'browser: the Pipelines page lists pipelines',
      await visit('/lambda-pipelines', 'Pipelines (2)', 'pipelines'),
    );
    check(
      'browser: the sidebar links to the Pipelines page',
      (await page.getByRole('link', { name: 'Pipelines' }).count()) > 0,
    );
    check(
      'browser: no uncaught errors in the page',
      pageErrors.length === 0,
      pageErrors.slice(0, 3).join('\n'),
    );
    console.log(`  screenshots: ${shots}`);
  } finally {
    await browser.close();
  }
}

try {
  await main();
} catch (error) {
  check('smoke test ran to the end', false, String(error?.stack ?? error));
}
stop();
// start.sh's own exit stops the demo pipeline; then its data goes too.
for (let i = 0; i < 60 && child.exitCode === null; i++) await sleep(500);
removeDemo();
console.log(`\nstart command smoke test: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
