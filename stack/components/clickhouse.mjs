// ClickHouse 26.7 as a real HTTP server, from the ClickHouse engine that
// npm ships as `libchdb.so` (@chdb/lib-linux-x64-gnu): Debian's
// clickhouse-server is far too old for the official client, and no other
// registry we can reach ships a current server binary.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, run } from '../lib/context.mjs';

const PACKAGE = '@chdb/lib-linux-x64-gnu';
const VERSION = '26.7.3-stable.1';
/** Memory cap of the server; the speed layer's ClickHouse on kind gets 1.5 GiB too. */
const MAX_MEMORY_BYTES = 1536 * 1024 * 1024;

const libraryPath = ctx => path.join(ctx.installDir, 'package', 'libchdb.so');
const url = ctx => `http://${ctx.host}:${ctx.port('clickhouse')}`;

export default {
  name: 'clickhouse',
  version: VERSION,
  description:
    'ClickHouse 26.7 HTTP server (libchdb from npm): speed-layer serving',
  dependsOn: [],
  readyTimeoutSeconds: 90,

  async install(ctx) {
    ctx.log(
      `fetching ${PACKAGE}@${VERSION} from the npm registry (about 150 MB download)`,
    );
    run(
      'npm',
      [
        'pack',
        '--silent',
        `${PACKAGE}@${VERSION}`,
        '--pack-destination',
        ctx.installDir,
      ],
      {
        cwd: ctx.installDir,
      },
    );
    const tarball = fs
      .readdirSync(ctx.installDir)
      .find(file => file.endsWith('.tgz'));
    run('tar', ['-xzf', tarball, '-C', ctx.installDir, 'package/libchdb.so'], {
      cwd: ctx.installDir,
    });
    fs.rmSync(path.join(ctx.installDir, tarball));
  },

  async start(ctx) {
    fs.mkdirSync(ctx.dataDir, { recursive: true });
    ctx.spawnDaemon('python3', [
      path.join(REPO_ROOT, 'stack/clickhouse/launch.py'),
      libraryPath(ctx),
      String(ctx.port('clickhouse')),
      ctx.dataDir,
      ctx.host,
      String(MAX_MEMORY_BYTES),
    ]);
  },

  async ready(ctx) {
    const response = await fetch(`${url(ctx)}/?query=SELECT%201`, {
      signal: AbortSignal.timeout(2000),
    });
    return response.ok && (await response.text()).trim() === '1';
  },

  env(ctx) {
    return {
      LP_CLICKHOUSE_URL: url(ctx),
      LP_CLICKHOUSE_USER: 'default',
      LP_CLICKHOUSE_PASSWORD: '',
    };
  },

  appConfig(ctx) {
    return { clickhouse: { url: url(ctx), username: 'default' } };
  },
};
