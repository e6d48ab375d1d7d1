// The live demo of scripts/start.sh: once the backend answers, creates a
// pipeline with the "Create pipeline" template exactly as a person would
// (a scaffolder task through the backend's API, signed in as guest: plan,
// render, publish to local Git repositories, register in the catalog), then
// runs it on the local stack with `stack/lp-stack pipeline start` at a
// moderate load. On a later start the published repositories are reused: the
// pipeline is registered again (the local catalog lives in memory) and
// resumed.
//
// Usage: node scripts/demo-pipeline.mjs [--name demo] [--rate 500]
//   [--backend http://localhost:7007] [--batch-every 300]
// Environment: APP_CONFIG_backend_baseUrl (as scripts/start.sh passes it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '..',
);
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const name = option('--name', process.env.LP_DEMO_NAME ?? 'demo');
const rate = option('--rate', process.env.LP_DEMO_RATE ?? '500');
const batchEvery = option(
  '--batch-every',
  process.env.LP_DEMO_BATCH_EVERY ?? '300',
);
const backend = option(
  '--backend',
  process.env.APP_CONFIG_backend_baseUrl ?? 'http://localhost:7007',
).replace(/\/+$/, '');
if (!/^[a-z][a-z0-9-]{0,30}$/.test(name))
  throw new Error(
    `--name must be a pipeline name: lowercase letters, digits and '-', starting with a letter, at most 31 characters; got '${name}'`,
  );
if (!(Number(rate) > 0))
  throw new Error(`--rate must be events per second above 0; got '${rate}'`);

const log = message =>
  process.stdout.write(
    `[demo ${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );
const sleep = ms => new Promise(r => setTimeout(r, ms));

/** What a person types into the form for the demo: one orders table, local profile, the stack's S3, catalog and Snowflake. */
function formValues() {
  const snake = name.replace(/-/g, '_');
  const upper = snake.toUpperCase();
  return {
    name,
    description:
      'Demo pipeline of scripts/start.sh: orders from the stack PostgreSQL, live in ClickHouse, complete in Snowflake.',
    owner: 'group:default/data-platform',
    system: '',
    database: 'shop',
    tables: [
      {
        schema: 'public',
        table: `${snake}_orders`,
        columns: [
          { name: 'order_id', type: 'bigint', nullable: false },
          { name: 'customer_id', type: 'bigint', nullable: false },
          { name: 'status', type: 'text' },
          { name: 'amount', type: 'numeric(12,2)' },
          { name: 'quantity', type: 'integer' },
          { name: 'updated_at', type: 'timestamptz', nullable: false },
        ],
        primaryKey: ['order_id'],
        eventTimeColumn: 'updated_at',
        measures: ['amount', 'quantity'],
      },
    ],
    targetEventsPerSecond: 20000,
    memoryBudget: '16Gi',
    profile: 'local',
    lakeSink: 'iceberg',
    region: 'us-east-1',
    bucket: 'lp-lake',
    kmsKeyId: 'alias/lp-lake',
    catalogType: 'jdbc',
    catalogUri: 'jdbc:postgresql://postgres:5432/iceberg_catalog',
    snowflakeAccount: 'local',
    snowflakeWarehouse: 'LP_LOCAL_WH',
    snowflakeDatabase: 'LAMBDA_PIPELINES',
    snowflakeSchema: upper,
    snowflakeRole: `${upper}_LOADER`,
    snowflakeUser: 'LP_DEV',
    dagRepoUrl: '',
    syncPeriodSeconds: 30,
    publishTo: 'local',
    secretPostgres: `${name}-postgres`,
    secretClickhouse: `${name}-clickhouse`,
    secretS3: `${name}-s3`,
    secretSnowflake: `${name}-snowflake`,
    secretGitSync: `${name}-git-sync`,
    secretAirflowDatabase: `${name}-airflow-db`,
  };
}

async function waitForBackend() {
  const started = Date.now();
  let reported = 0;
  for (;;) {
    try {
      const res = await fetch(`${backend}/api/lambda-pipeline/health`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    const waited = (Date.now() - started) / 1000;
    if (waited > 900)
      throw new Error(`the backend at ${backend} did not answer within 900 s`);
    if (waited - reported >= 30) {
      reported = waited;
      log(`waiting for the backend at ${backend} (${Math.round(waited)} s)`);
    }
    await sleep(2000);
  }
}

async function api(token, method, route, body) {
  const res = await fetch(`${backend}/api${route}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function guestToken() {
  const res = await fetch(`${backend}/api/auth/guest/refresh`, {
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });
  if (!res.ok) throw new Error(`guest sign-in failed: HTTP ${res.status}`);
  return (await res.json()).backstageIdentity.token;
}

/** The template run as a task; resolves when it completes, throws with its log when it fails. */
async function createWithTemplate(token) {
  log(
    `creating pipeline '${name}' with the "Create pipeline" template (scaffolder task)`,
  );
  const created = await api(token, 'POST', '/scaffolder/v2/tasks', {
    templateRef: 'template:default/lambda-pipeline',
    values: formValues(),
  });
  if (created.status !== 201)
    throw new Error(
      `the scaffolder refused the task: HTTP ${created.status} ${JSON.stringify(
        created.body,
      )}`,
    );
  const id = created.body.id;
  for (;;) {
    const task = await api(token, 'GET', `/scaffolder/v2/tasks/${id}`);
    const state = task.body?.status;
    if (state === 'completed') {
      log(
        `task ${id} completed: repositories published under .lp-repos, pipeline registered`,
      );
      return;
    }
    if (state === 'failed' || state === 'cancelled') {
      const events = await api(
        token,
        'GET',
        `/scaffolder/v2/tasks/${id}/events`,
      );
      const lines = (events.body ?? [])
        .map(e => e.body?.message)
        .filter(Boolean)
        .slice(-20);
      throw new Error(`the template task ${state}:\n${lines.join('\n')}`);
    }
    await sleep(1000);
  }
}

async function main() {
  const checkout = path.join(
    root,
    '.lp-repos',
    'checkouts',
    `${name}-platform`,
  );
  await waitForBackend();
  const token = await guestToken();
  // The catalog reads the template from app-config.yaml shortly after start.
  for (let waited = 0; ; waited += 2) {
    const template = await api(
      token,
      'GET',
      '/catalog/entities/by-name/template/default/lambda-pipeline',
    );
    if (template.status === 200) break;
    if (waited > 300)
      throw new Error(
        'the "Create pipeline" template (template:default/lambda-pipeline) is not in the catalog after 300 s; is templates/lambda-pipeline/template.yaml among catalog.locations?',
      );
    await sleep(2000);
  }
  const inCatalog = await api(
    token,
    'GET',
    `/catalog/entities/by-name/system/default/${name}`,
  );
  if (inCatalog.status === 200) {
    log(`pipeline '${name}' is already in the catalog`);
  } else if (fs.existsSync(path.join(checkout, 'catalog-info.yaml'))) {
    log(`registering the published pipeline '${name}' (${checkout})`);
    const res = await api(token, 'POST', '/catalog/locations', {
      type: 'file',
      target: path.join(checkout, 'catalog-info.yaml'),
    });
    if (res.status !== 201 && res.status !== 409)
      throw new Error(
        `registering ${checkout} failed: HTTP ${res.status} ${JSON.stringify(
          res.body,
        )}`,
      );
  } else {
    await createWithTemplate(token);
  }
  const running = spawnSync(
    process.execPath,
    [path.join(root, 'stack/cli.mjs'), 'pipeline', 'status', name, '--json'],
    { encoding: 'utf8' },
  );
  if (JSON.parse(running.stdout || '[]')[0]?.alive) {
    log(`pipeline '${name}' is already running on the stack`);
  } else {
    const start = spawnSync(
      process.execPath,
      [
        path.join(root, 'stack/cli.mjs'),
        'pipeline',
        'start',
        checkout,
        '--rate',
        String(rate),
        '--batch-every',
        String(batchEvery),
        '--lake-commit-ms',
        '30000',
      ],
      { stdio: 'inherit' },
    );
    if (start.status !== 0)
      throw new Error(`starting pipeline '${name}' failed (see above)`);
  }
  const app = process.env.APP_CONFIG_app_baseUrl ?? 'http://localhost:3000';
  log(
    `live: ${app}/catalog/default/system/${name}/lambda-pipeline — ${rate} events/s into PostgreSQL, through both layers`,
  );
}

main().catch(error => {
  process.stderr.write(`[demo] ${error.message ?? error}\n`);
  process.exit(1);
});
