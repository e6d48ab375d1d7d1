// Airflow 3.2.2's API server (the public REST API, /api/v2) on the stack's
// Airflow runtime, with a SQLite metadata database: what the Backstage
// plugin's Airflow probe reads (DAGs, their runs, failed tasks). No
// scheduler: runs are created through the API or with `airflow dags test`,
// which executes a DAG in-process and records its task instances.
//
// Everything is in $AIRFLOW_HOME (`.lp-stack/data/airflow-api`): airflow.cfg
// written at start, the database, the DAGs folder (`dags/`). CLI calls with
// AIRFLOW_HOME set to it (LP_AIRFLOW_API_HOME) see the same database.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { componentContext, run, venvBin } from '../lib/context.mjs';
import airflow from './airflow.mjs';

// Local development credentials; nothing here is a secret.
const ADMIN = { user: 'lp-admin', password: 'lp-dev-airflow' };
const VIEWER = { user: 'lp-viewer', password: 'lp-dev-viewer' };

const home = ctx => ctx.dataDir;
/** The `airflow` command of the airflow runtime this component runs on. */
const airflowBin = () =>
  venvBin(componentContext(airflow.name, airflow.version), 'airflow');
const url = ctx => `http://${ctx.host}:${ctx.port('airflowApi')}`;

/** A value generated once per data directory (JWT and session secrets). */
function persistentSecret(ctx, name) {
  const file = path.join(home(ctx), `.${name}`);
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), {
      mode: 0o600,
    });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

function writeConfig(ctx) {
  const dags = path.join(home(ctx), 'dags');
  fs.mkdirSync(dags, { recursive: true });
  const passwords = path.join(home(ctx), 'simple_auth_manager_passwords.json');
  fs.writeFileSync(
    passwords,
    JSON.stringify({
      [ADMIN.user]: ADMIN.password,
      [VIEWER.user]: VIEWER.password,
    }),
  );
  fs.writeFileSync(
    path.join(home(ctx), 'airflow.cfg'),
    [
      '[core]',
      `dags_folder = ${dags}`,
      'load_examples = False',
      'dags_are_paused_at_creation = False',
      'auth_manager = airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager',
      `simple_auth_manager_users = ${ADMIN.user}:admin,${VIEWER.user}:viewer`,
      `simple_auth_manager_passwords_file = ${passwords}`,
      '',
      '[database]',
      // SQLite needs an absolute path (four slashes).
      `sql_alchemy_conn = sqlite:///${path.join(home(ctx), 'airflow.db')}`,
      '',
      '[api]',
      `host = ${ctx.host}`,
      `port = ${ctx.port('airflowApi')}`,
      'workers = 1',
      `secret_key = ${persistentSecret(ctx, 'secret-key')}`,
      '',
      '[api_auth]',
      `jwt_secret = ${persistentSecret(ctx, 'jwt-secret')}`,
      '',
      '[logging]',
      `base_log_folder = ${path.join(home(ctx), 'logs')}`,
      '',
    ].join('\n'),
  );
}

export default {
  name: 'airflow-api',
  version: airflow.version,
  description: `Airflow ${
    airflow.version.split('-')[0]
  } API server (REST /api/v2, SQLite, simple auth manager) on the airflow runtime`,
  dependsOn: ['airflow'],
  readyTimeoutSeconds: 180,

  async install() {
    // Nothing of its own: it runs the airflow runtime.
  },

  async start(ctx) {
    fs.mkdirSync(home(ctx), { recursive: true });
    writeConfig(ctx);
    const env = { ...process.env, AIRFLOW_HOME: home(ctx) };
    ctx.log('airflow db migrate (SQLite)');
    run(airflowBin(), ['db', 'migrate'], { env, cwd: home(ctx) });
    ctx.spawnDaemon(
      airflowBin(),
      [
        'api-server',
        '--host',
        ctx.host,
        '--port',
        String(ctx.port('airflowApi')),
        '--apps',
        'core',
        '--workers',
        '1',
      ],
      { env: { AIRFLOW_HOME: home(ctx) }, cwd: home(ctx) },
    );
  },

  async ready(ctx) {
    const response = await fetch(`${url(ctx)}/api/v2/monitor/health`, {
      signal: AbortSignal.timeout(2000),
    });
    return response.status === 200;
  },

  env(ctx) {
    return {
      LP_AIRFLOW_API_URL: url(ctx),
      LP_AIRFLOW_API_USER: VIEWER.user,
      LP_AIRFLOW_API_PASSWORD: VIEWER.password,
      LP_AIRFLOW_API_ADMIN_USER: ADMIN.user,
      LP_AIRFLOW_API_ADMIN_PASSWORD: ADMIN.password,
      LP_AIRFLOW_API_HOME: home(ctx),
    };
  },

  appConfig(ctx) {
    return {
      airflow: {
        url: url(ctx),
        username: VIEWER.user,
        password: VIEWER.password,
      },
    };
  },
};
