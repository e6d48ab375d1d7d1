// An S3-compatible store with KMS for SSE-KMS: moto's server (PyPI), which
// the AWS SDK v3, Hadoop S3A and Iceberg's S3FileIO talk to unchanged with
// path-style access. It also emulates STS and Glue, which the cloud profile
// uses. Objects live in memory: they do not survive `down`.
import path from 'node:path';
import { REPO_ROOT, run } from '../lib/context.mjs';

const MOTO_VERSION = '5.2.5';
const REGION = 'us-east-1';
const BUCKET = 'lp-lake';
const KMS_ALIAS = 'alias/lp-lake';
const LOCK = path.join(REPO_ROOT, 'stack/s3/requirements.lock');

const bin = (ctx, name) => path.join(ctx.installDir, 'venv/bin', name);
const endpoint = ctx => `http://${ctx.host}:${ctx.port('s3')}`;

export default {
  name: 's3',
  version: MOTO_VERSION,
  description:
    'S3 + KMS (+ STS, Glue) emulator (moto server): lake storage with SSE-KMS',
  dependsOn: [],
  readyTimeoutSeconds: 60,

  async install(ctx) {
    run('python3', ['-m', 'venv', path.join(ctx.installDir, 'venv')]);
    ctx.log(
      'installing moto[server] from PyPI (pinned in stack/s3/requirements.lock)',
    );
    run(bin(ctx, 'pip'), [
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '-r',
      LOCK,
    ]);
  },

  async start(ctx) {
    // moto's server, with S3's element order in ListObjects answers (see the script)
    ctx.spawnDaemon(bin(ctx, 'python'), [
      path.join(REPO_ROOT, 'stack/s3/server.py'),
      '-H',
      ctx.host,
      '-p',
      String(ctx.port('s3')),
    ]);
  },

  async ready(ctx) {
    const response = await fetch(`${endpoint(ctx)}/moto-api/`, {
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  },

  /** The bucket and the KMS key (alias) the pipelines write with; idempotent. */
  async afterReady(ctx) {
    run(bin(ctx, 'python'), [
      path.join(REPO_ROOT, 'stack/s3/provision.py'),
      endpoint(ctx),
      REGION,
      BUCKET,
      KMS_ALIAS,
    ]);
  },

  env(ctx) {
    return {
      LP_S3_ENDPOINT: endpoint(ctx),
      LP_S3_REGION: REGION,
      LP_S3_ACCESS_KEY_ID: 'test',
      LP_S3_SECRET_ACCESS_KEY: 'test',
      LP_S3_BUCKET: BUCKET,
      LP_S3_KMS_KEY_ID: KMS_ALIAS,
    };
  },

  /**
   * The lake's Iceberg catalog for the catalog module's inventory: the JDBC
   * catalog in the stack's PostgreSQL (postgres component) and this store.
   */
  appConfig(ctx) {
    return {
      iceberg: {
        catalog: {
          type: 'jdbc',
          host: ctx.host,
          port: ctx.port('postgres'),
          database: 'iceberg_catalog',
          user: 'postgres',
        },
        s3: {
          region: REGION,
          endpoint: endpoint(ctx),
          accessKeyId: 'test',
          secretAccessKey: 'test',
          forcePathStyle: true,
        },
      },
    };
  },
};
