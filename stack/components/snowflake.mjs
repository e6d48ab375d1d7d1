// A Snowflake emulator: fakesnow (Snowflake SQL on DuckDB, from PyPI) behind
// a small TypeScript front that speaks the JSON result format, so the official
// Node driver `snowflake-sdk` connects to it unchanged through `accessUrl`.
// See stack/snowflake-emulator/README.md for what is and is not emulated.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, run } from '../lib/context.mjs';

const FAKESNOW_VERSION = '0.12.1';
const EMULATOR_DIR = path.join(REPO_ROOT, 'stack', 'snowflake-emulator');
const LOCK_FILE = path.join(EMULATOR_DIR, 'requirements.lock');

// Local development credentials and names; nothing here is a secret.
const USER = 'LP_DEV';
const PASSWORD = 'lp-dev-password';
const DATABASE = 'LAMBDA_PIPELINES';
const SCHEMA = 'PUBLIC';
const WAREHOUSE = 'LP_LOCAL_WH';
const ACCOUNT = 'local';

const venvDir = ctx => path.join(ctx.installDir, 'venv');
const venvPython = ctx => path.join(venvDir(ctx), 'bin', 'python');
const accessUrl = ctx => `http://${ctx.host}:${ctx.port('snowflake')}`;
// Internal stages keep their files here, in the S3 stand-in (not the lake's bucket).
const STAGE_BUCKET = 'lp-snowflake-stages';
const STAGE_REGION = 'us-east-1';

/** Node flags to run the TypeScript front (type stripping is on by default from 22.18). */
function nodeFlags() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const flags = ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'];
  if (major < 22 || (major === 22 && minor < 6)) {
    throw new Error(
      `the Snowflake emulator needs Node >= 22.6 (type stripping); this is ${process.version}`,
    );
  }
  if (major === 22 && minor < 18)
    flags.push(
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
    );
  return flags;
}

async function call(url, body, token, timeoutMs = 5000) {
  const headers = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
  };
  if (token) headers.Authorization = `Snowflake Token="${token}"`;
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body ?? {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (response.status !== 200)
    throw new Error(`${url}: HTTP ${response.status}`);
  const json = await response.json();
  if (!json.success) throw new Error(`${url}: ${json.code} ${json.message}`);
  return json;
}

export default {
  name: 'snowflake',
  version: FAKESNOW_VERSION,
  description:
    'Snowflake emulator: fakesnow (DuckDB) behind a JSON-result front for snowflake-sdk and the JDBC driver; internal stages in S3',
  dependsOn: ['s3'],
  readyTimeoutSeconds: 60,

  async install(ctx) {
    // a half-finished earlier attempt leaves a venv behind; start clean
    fs.rmSync(venvDir(ctx), { recursive: true, force: true });
    ctx.log(`creating a Python venv in ${venvDir(ctx)}`);
    run('python3', ['-m', 'venv', venvDir(ctx)]);
    ctx.log(
      `pip install -r ${path.relative(
        REPO_ROOT,
        LOCK_FILE,
      )} (fakesnow[server]==${FAKESNOW_VERSION})`,
    );
    run(venvPython(ctx), [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--no-input',
      '--disable-pip-version-check',
      '--no-deps',
      '-r',
      LOCK_FILE,
    ]);
    run(venvPython(ctx), ['-m', 'pip', 'check', '--disable-pip-version-check']);
    run(venvPython(ctx), ['-c', 'import fakesnow.server, uvicorn']);
    fs.copyFileSync(LOCK_FILE, path.join(ctx.installDir, 'requirements.lock'));
  },

  async start(ctx) {
    const installedLock = path.join(ctx.installDir, 'requirements.lock');
    if (
      fs.existsSync(installedLock) &&
      fs.readFileSync(installedLock, 'utf8') !==
        fs.readFileSync(LOCK_FILE, 'utf8')
    ) {
      ctx.log(
        `warning: ${path.relative(
          REPO_ROOT,
          LOCK_FILE,
        )} changed since the install; delete ${ctx.installDir} to reinstall`,
      );
    }
    fs.mkdirSync(ctx.dataDir, { recursive: true });
    ctx.spawnDaemon(
      process.execPath,
      [
        ...nodeFlags(),
        path.join(EMULATOR_DIR, 'server.ts'),
        '--host',
        ctx.host,
        '--port',
        String(ctx.port('snowflake')),
        '--engine-port',
        String(ctx.port('fakesnow')),
        '--python',
        venvPython(ctx),
        '--db-path',
        ctx.dataDir,
        '--user',
        USER,
        '--password',
        PASSWORD,
        '--stage-s3-endpoint',
        `http://${ctx.host}:${ctx.port('s3')}`,
        '--stage-s3-bucket',
        STAGE_BUCKET,
        '--stage-s3-region',
        STAGE_REGION,
      ],
      { cwd: EMULATOR_DIR },
    );
  },

  /** Logs in through the front and runs SELECT 1 (so both processes answer). */
  async ready(ctx) {
    const base = accessUrl(ctx);
    const params = new URLSearchParams({
      databaseName: DATABASE,
      schemaName: SCHEMA,
      warehouse: WAREHOUSE,
    });
    const login = await call(`${base}/session/v1/login-request?${params}`, {
      data: {
        LOGIN_NAME: USER,
        PASSWORD,
        CLIENT_APP_ID: 'lp-stack-ready',
        SESSION_PARAMETERS: {},
      },
    });
    const token = login.data.token;
    try {
      const result = await call(
        `${base}/queries/v1/query-request`,
        { sqlText: 'SELECT 1 AS ready' },
        token,
      );
      return result.data?.rowset?.[0]?.[0] === '1';
    } finally {
      await call(`${base}/session?delete=true`, {}, token).catch(() => {});
    }
  },

  env(ctx) {
    return {
      LP_SNOWFLAKE_ACCESS_URL: accessUrl(ctx),
      LP_SNOWFLAKE_ACCOUNT: ACCOUNT,
      LP_SNOWFLAKE_USER: USER,
      LP_SNOWFLAKE_PASSWORD: PASSWORD,
      LP_SNOWFLAKE_DATABASE: DATABASE,
      LP_SNOWFLAKE_SCHEMA: SCHEMA,
      LP_SNOWFLAKE_WAREHOUSE: WAREHOUSE,
      LP_SNOWFLAKE_STAGE_BUCKET: STAGE_BUCKET,
    };
  },

  appConfig(ctx) {
    return {
      snowflake: {
        accessUrl: accessUrl(ctx),
        account: ACCOUNT,
        username: USER,
        // The emulator's local development password (not a secret).
        password: PASSWORD,
        database: DATABASE,
        schema: SCHEMA,
        warehouse: WAREHOUSE,
      },
    };
  },
};
