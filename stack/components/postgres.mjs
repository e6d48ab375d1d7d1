// PostgreSQL 15 from Debian's packages: the OLTP source of the pipelines
// (logical WAL for Debezium) and the home of the Iceberg JDBC catalog.
// PostgreSQL refuses to run as root, so as root the server runs as a
// dedicated system user.
import fs from 'node:fs';
import path from 'node:path';
import { run } from '../lib/context.mjs';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const SERVICE_USER = 'lpstack';
const isRoot = () => process.getuid?.() === 0;

/** Runs a command as the service user when we are root. */
function asServiceUser(command, args) {
  return isRoot()
    ? ['runuser', ['-u', SERVICE_USER, '--', command, ...args]]
    : [command, args];
}

function psql(ctx, sql, database = 'postgres') {
  return run(
    path.join(PG_BIN, 'psql'),
    [
      '-h',
      ctx.host,
      '-p',
      String(ctx.port('postgres')),
      '-U',
      'postgres',
      '-d',
      database,
      '-v',
      'ON_ERROR_STOP=1',
      '-At',
      '-c',
      sql,
    ],
    { timeout: 10_000 },
  );
}

export default {
  name: 'postgres',
  version: '15',
  description:
    'PostgreSQL 15 (wal_level=logical): pipeline source and Iceberg JDBC catalog',
  dependsOn: [],
  readyTimeoutSeconds: 60,
  // Fast shutdown: SIGTERM would wait for every client (Connect, tests) to leave.
  stopSignal: 'SIGINT',

  async install(ctx) {
    if (!fs.existsSync(path.join(PG_BIN, 'postgres'))) {
      if (!isRoot())
        throw new Error(
          `PostgreSQL 15 is not installed; run: sudo apt-get install -y postgresql-15`,
        );
      ctx.log("installing Debian's postgresql-15");
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', 'postgresql-15'], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    }
    if (isRoot()) {
      try {
        run('id', ['-u', SERVICE_USER]);
      } catch {
        ctx.log(`creating system user '${SERVICE_USER}' to run PostgreSQL`);
        run('useradd', [
          '--system',
          '--no-create-home',
          '--shell',
          '/usr/sbin/nologin',
          SERVICE_USER,
        ]);
      }
    }
  },

  async start(ctx) {
    const data = ctx.dataDir;
    if (!fs.existsSync(path.join(data, 'PG_VERSION'))) {
      // Parents stay world-traversable so the service user can reach its data.
      fs.mkdirSync(path.dirname(data), { recursive: true });
      fs.chmodSync(path.dirname(data), 0o755);
      fs.mkdirSync(data, { recursive: true, mode: 0o700 });
      if (isRoot()) run('chown', ['-R', `${SERVICE_USER}:`, data]);
      const [command, args] = asServiceUser(path.join(PG_BIN, 'initdb'), [
        '-D',
        data,
        '-U',
        'postgres',
        '--auth=trust',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
      ]);
      run(command, args);
      fs.appendFileSync(
        path.join(data, 'postgresql.conf'),
        `
# --- lambda-pipelines local stack ---
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
# A quiet replication slot must not fill the disk with WAL.
max_slot_wal_keep_size = 2GB
shared_buffers = 128MB
max_connections = 200
`,
      );
      fs.writeFileSync(
        path.join(data, 'pg_hba.conf'),
        `# Local development stack: loopback only, no passwords.
local   all          all                  trust
host    all          all  127.0.0.1/32    trust
host    replication  all  127.0.0.1/32    trust
`,
      );
    }
    // Listen address, port and socket directory come from the command line so
    // that a changed LP_STACK_PORT_POSTGRES takes effect without re-initialising.
    const [command, args] = asServiceUser(path.join(PG_BIN, 'postgres'), [
      '-D',
      data,
      '-c',
      `listen_addresses=${ctx.host}`,
      '-c',
      `port=${ctx.port('postgres')}`,
      '-c',
      `unix_socket_directories=${data}`,
    ]);
    ctx.spawnDaemon(command, args);
  },

  async ready(ctx) {
    return psql(ctx, 'select 1').trim() === '1';
  },

  /** Roles and databases the pipelines use; idempotent. */
  async afterReady(ctx) {
    psql(
      ctx,
      `DO $$ BEGIN
         IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'replicator') THEN
           CREATE ROLE replicator WITH LOGIN REPLICATION PASSWORD 'replicator';
         END IF;
       END $$;`,
    );
    for (const database of ['shop', 'iceberg_catalog']) {
      if (
        psql(
          ctx,
          `select 1 from pg_database where datname = '${database}'`,
        ).trim() !== '1'
      ) {
        psql(ctx, `create database ${database}`);
      }
    }
  },

  env(ctx) {
    const port = ctx.port('postgres');
    return {
      LP_POSTGRES_HOST: ctx.host,
      LP_POSTGRES_PORT: String(port),
      LP_POSTGRES_USER: 'postgres',
      // psql and the server's other clients, for scripts written for them.
      LP_POSTGRES_BIN: PG_BIN,
      LP_POSTGRES_URL: `postgres://postgres@${ctx.host}:${port}/postgres`,
      LP_POSTGRES_REPLICATION_USER: 'replicator',
      LP_POSTGRES_REPLICATION_PASSWORD: 'replicator',
      LP_POSTGRES_SOURCE_DATABASE: 'shop',
      LP_ICEBERG_JDBC_URL: `jdbc:postgresql://${ctx.host}:${port}/iceberg_catalog?user=postgres`,
    };
  },

  appConfig(ctx) {
    return {
      postgres: {
        host: ctx.host,
        port: ctx.port('postgres'),
        database: 'shop',
        user: 'postgres',
      },
    };
  },
};
