// The local image registry kind clusters pull from: CNCF Distribution (the
// `registry` image kind's documentation uses) at the version the generated
// pipeline pins, built from the Go module proxy
// (stack/kubernetes/registry/go.mod + go.sum are the lock). The Kubernetes
// component advertises it in kube-public/local-registry-hosting, as kind does.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, run } from '../lib/context.mjs';

const DISTRIBUTION_VERSION = 'v3.0.0';
const MODULE_DIR = path.join(REPO_ROOT, 'stack', 'kubernetes', 'registry');
const binary = ctx => path.join(ctx.installDir, 'registry');
const url = ctx => `http://${ctx.host}:${ctx.port('registry')}`;

export default {
  name: 'registry',
  version: DISTRIBUTION_VERSION.slice(1),
  description: `Image registry (CNCF Distribution ${DISTRIBUTION_VERSION}) on localhost, as kind's local registry`,
  dependsOn: [],
  readyTimeoutSeconds: 30,

  async install(ctx) {
    const tmp = `${binary(ctx)}.tmp`;
    ctx.log(
      `go build github.com/distribution/distribution/v3/cmd/registry@${DISTRIBUTION_VERSION}`,
    );
    run(
      'nice',
      [
        'go',
        'build',
        '-trimpath',
        '-ldflags=-s -w',
        '-o',
        tmp,
        'github.com/distribution/distribution/v3/cmd/registry',
      ],
      {
        cwd: MODULE_DIR,
        env: {
          ...process.env,
          GOFLAGS: '-buildvcs=false -mod=readonly',
          GOTOOLCHAIN: 'local',
          CGO_ENABLED: '0',
        },
      },
    );
    fs.renameSync(tmp, binary(ctx));
  },

  async start(ctx) {
    const storage = path.join(ctx.dataDir, 'storage');
    fs.mkdirSync(storage, { recursive: true });
    const config = path.join(ctx.dataDir, 'config.yml');
    // JSON is YAML; the registry reads either.
    fs.writeFileSync(
      config,
      JSON.stringify(
        {
          version: 0.1,
          log: { level: 'info' },
          storage: {
            filesystem: { rootdirectory: storage },
            delete: { enabled: true },
          },
          http: { addr: `${ctx.host}:${ctx.port('registry')}` },
        },
        null,
        2,
      ),
    );
    ctx.spawnDaemon(binary(ctx), ['serve', config], {
      // No telemetry exporter: nothing listens for it here.
      env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' },
    });
  },

  async ready(ctx) {
    const response = await fetch(`${url(ctx)}/v2/`, {
      signal: AbortSignal.timeout(2000),
    });
    return (
      response.status === 200 &&
      response.headers.get('docker-distribution-api-version') === 'registry/2.0'
    );
  },

  env(ctx) {
    return { LP_REGISTRY: `${ctx.host}:${ctx.port('registry')}` };
  },
};
