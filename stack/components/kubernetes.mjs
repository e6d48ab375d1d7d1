// A real Kubernetes API server with one simulated node: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler built from the Go module proxy
// at a pinned version (stack/kubernetes/{k8s,etcd,kwok}/go.mod + go.sum are
// the locks), and kwok playing the kubelet and the operators. The deploy
// actions are tested against it. See stack/README.md.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, run } from '../lib/context.mjs';

const KUBERNETES_VERSION = 'v1.36.5';
const ETCD_VERSION = 'v3.6.16';
const KWOK_VERSION = 'v0.8.0';
const BUILD_DIR = path.join(REPO_ROOT, 'stack', 'kubernetes');
const CONTEXT = 'lp-stack';
const NODE_NAME = 'lambda-control-plane';

/** The vendored CRDs installed at start (what the pipelines' manifests use). */
const CRD_DIRS = [
  path.join(
    REPO_ROOT,
    'templates/lambda-pipeline/skeleton/pipeline/deploy/crds',
  ),
  path.join(
    REPO_ROOT,
    'plugins/scaffolder-backend-module-lambda-pipeline/schemas/upstream',
  ),
];

/** kwok's own stages (node, pod, volume lifecycles), taken from the pinned module. */
const KWOK_STAGES = [
  'node/fast/node-initialize.yaml',
  'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'pod/fast/pod-ready.yaml',
  'pod/fast/pod-complete.yaml',
  'pod/fast/pod-delete.yaml',
  'volume/fast/pvc-provision.yaml',
  'volume/fast/pv-bind.yaml',
  'volume/fast/pv-delete.yaml',
  'volume/fast/pvc-delete.yaml',
];
/** kind's default StorageClass; kwok's volume stages are pointed at it. */
const STORAGE_CLASS = 'standard';

const binDir = ctx => path.join(ctx.installDir, 'bin');
const kubeconfigPath = ctx => path.join(ctx.dataDir, 'kubeconfig');
const apiUrl = ctx => `https://${ctx.host}:${ctx.port('kubeApiserver')}`;

/** Memory and CPU the node offers (LP_STACK_KUBE_NODE_MEMORY / _CPU). */
function nodeCapacity() {
  const memory = process.env.LP_STACK_KUBE_NODE_MEMORY ?? '20Gi';
  const cpu = process.env.LP_STACK_KUBE_NODE_CPU ?? '8';
  if (!/^\d+(Ki|Mi|Gi|Ti)?$/.test(memory))
    throw new Error(
      `LP_STACK_KUBE_NODE_MEMORY=${memory} is not a memory quantity such as 20Gi`,
    );
  if (!/^\d+m?$/.test(cpu))
    throw new Error(
      `LP_STACK_KUBE_NODE_CPU=${cpu} is not a CPU quantity such as 8`,
    );
  return { cpu, memory, pods: '110' };
}

function goBuild(ctx, module, args) {
  const env = {
    ...process.env,
    // -mod=readonly: the committed go.sum is the lock; nothing is resolved anew.
    GOFLAGS: '-buildvcs=false -mod=readonly',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
  };
  ctx.log(`go build ${args.filter(a => !a.startsWith('-')).join(' ')}`);
  run('nice', ['go', 'build', '-trimpath', ...args], {
    cwd: path.join(BUILD_DIR, module),
    env,
  });
}

function versionFlags() {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  return [
    `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
    `-X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}`,
    `-X k8s.io/client-go/pkg/version.gitMajor=${major}`,
    `-X k8s.io/client-go/pkg/version.gitMinor=${minor}`,
  ].join(' ');
}

function crdFiles() {
  const files = [];
  const walk = dir => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.ya?ml$/.test(entry.name)) {
        const text = fs.readFileSync(file, 'utf8');
        if (/^kind: CustomResourceDefinition$/m.test(text)) files.push(file);
      }
    }
  };
  CRD_DIRS.forEach(walk);
  return files.sort();
}

/**
 * kwok's configuration: every stage, in one multi-document file. No
 * KwokConfiguration document: kwok applies its defaults only without one (a
 * partial one leaves the parallelism options at 0); options go on the command line.
 */
function writeKwokConfig(ctx) {
  const file = path.join(ctx.dataDir, 'kwok.yaml');
  const stagesDir = path.join(ctx.installDir, 'stages');
  const documents = [
    ...KWOK_STAGES.map(stage =>
      fs.readFileSync(path.join(stagesDir, stage), 'utf8'),
    ),
    fs.readFileSync(
      path.join(BUILD_DIR, 'stages', 'custom-resources.yaml'),
      'utf8',
    ),
  ];
  fs.writeFileSync(file, documents.map(d => `---\n${d.trim()}\n`).join(''));
  return file;
}

export default {
  name: 'kubernetes',
  // The trailing number counts changes to what is built (2: kubectl added;
  // 3: kubelet and kube-proxy, for the real node).
  version: `${KUBERNETES_VERSION.slice(1)}-etcd${ETCD_VERSION.slice(
    1,
  )}-kwok${KWOK_VERSION.slice(1)}-3`,
  description: `Kubernetes ${KUBERNETES_VERSION} API server (etcd ${ETCD_VERSION}, controller manager, scheduler) with a kwok ${KWOK_VERSION} node`,
  dependsOn: [],
  readyTimeoutSeconds: 240,
  stopTimeoutSeconds: 30,

  async install(ctx) {
    const goVersion = run('go', ['env', 'GOVERSION']).trim();
    const [, minor] = goVersion.replace(/^go/, '').split('.').map(Number);
    if (!goVersion.startsWith('go1.') || minor < 26) {
      throw new Error(
        `building Kubernetes ${KUBERNETES_VERSION} needs Go >= 1.26 on PATH; found ${goVersion}`,
      );
    }
    const tmp = fs.mkdtempSync(path.join(ctx.installDir, 'bin.tmp-'));
    try {
      goBuild(ctx, 'etcd', [
        '-ldflags=-s -w',
        '-o',
        path.join(tmp, 'etcd'),
        'go.etcd.io/etcd/server/v3',
      ]);
      goBuild(ctx, 'kwok', [
        '-ldflags=-s -w',
        '-o',
        `${tmp}/`,
        'sigs.k8s.io/kwok/cmd/kwok',
      ]);
      ctx.log(
        'building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet and kube-proxy (10-15 min on 2 cores when the Go caches are cold)',
      );
      goBuild(ctx, 'k8s', [
        `-ldflags=-s -w ${versionFlags()}`,
        '-o',
        `${tmp}/`,
        'k8s.io/kubernetes/cmd/kube-apiserver',
        'k8s.io/kubernetes/cmd/kube-controller-manager',
        'k8s.io/kubernetes/cmd/kube-scheduler',
        'k8s.io/kubernetes/cmd/kubectl',
        'k8s.io/kubernetes/cmd/kubelet',
        'k8s.io/kubernetes/cmd/kube-proxy',
      ]);
      fs.rmSync(binDir(ctx), { recursive: true, force: true });
      fs.renameSync(tmp, binDir(ctx));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    // kwok's stages ship in its module (checked against go.sum by the build).
    const modCache = run('go', ['env', 'GOMODCACHE']).trim();
    const source = path.join(
      modCache,
      `sigs.k8s.io/kwok@${KWOK_VERSION}`,
      'kustomize/stage',
    );
    for (const stage of KWOK_STAGES) {
      const target = path.join(ctx.installDir, 'stages', stage);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      // Point the volume stages at kind's StorageClass name.
      fs.writeFileSync(
        target,
        fs
          .readFileSync(path.join(source, stage), 'utf8')
          .replaceAll("'kwok-volume'", `'${STORAGE_CLASS}'`),
      );
    }
  },

  async start(ctx) {
    fs.mkdirSync(ctx.dataDir, { recursive: true });
    const settingsFile = path.join(ctx.dataDir, 'settings.json');
    const settings = {
      binDir: binDir(ctx),
      dataDir: ctx.dataDir,
      logDir: path.dirname(ctx.logFile),
      host: ctx.host,
      // etcd's data belongs to the etcd and Kubernetes versions, not to the build number.
      version: `${KUBERNETES_VERSION}-etcd${ETCD_VERSION}`,
      ports: {
        etcd: ctx.port('etcd'),
        etcdPeer: ctx.port('etcdPeer'),
        kubeApiserver: ctx.port('kubeApiserver'),
        kubeControllerManager: ctx.port('kubeControllerManager'),
        kubeScheduler: ctx.port('kubeScheduler'),
        kwok: ctx.port('kwok'),
      },
      node: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: NODE_NAME,
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
          labels: {
            'kubernetes.io/hostname': NODE_NAME,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'node-role.kubernetes.io/control-plane': '',
            type: 'kwok',
          },
        },
        status: {
          allocatable: nodeCapacity(),
          capacity: nodeCapacity(),
        },
      },
      bootstrapObjects: [
        {
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          metadata: {
            name: STORAGE_CLASS,
            annotations: {
              'storageclass.kubernetes.io/is-default-class': 'true',
            },
          },
          provisioner: 'kwok.x-k8s.io/volume',
          reclaimPolicy: 'Delete',
          volumeBindingMode: 'Immediate',
        },
        // Where the local registry is, as kind documents it (KEP-1755).
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'local-registry-hosting',
            namespace: 'kube-public',
          },
          data: {
            'localRegistryHosting.v1': `host: "localhost:${ctx.port(
              'registry',
            )}"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n`,
          },
        },
      ],
      crdFiles: crdFiles(),
      kwokConfig: writeKwokConfig(ctx),
    };
    fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
    ctx.spawnDaemon(process.execPath, [
      path.join(BUILD_DIR, 'supervise.mjs'),
      settingsFile,
    ]);
  },

  /** The supervisor marks the cluster ready once the node is Ready; the API server must agree. */
  async ready(ctx) {
    if (!fs.existsSync(path.join(ctx.dataDir, 'ready'))) return false;
    const { apiRequest } = await import('../kubernetes/api.mjs');
    const res = await apiRequest(
      {
        url: apiUrl(ctx),
        token: fs
          .readFileSync(path.join(ctx.dataDir, 'pki', 'tokens.csv'), 'utf8')
          .split(',')[0],
        caFile: path.join(ctx.dataDir, 'pki', 'ca.crt'),
      },
      'GET',
      '/readyz',
    );
    return res.status === 200;
  },

  env(ctx) {
    return {
      LP_KUBECONFIG: kubeconfigPath(ctx),
      LP_KUBECTL: path.join(binDir(ctx), 'kubectl'),
      LP_KUBE_CONTEXT: CONTEXT,
      LP_KUBE_API_URL: apiUrl(ctx),
      LP_KUBE_NODE: NODE_NAME,
      LP_KUBE_NODE_MEMORY: nodeCapacity().memory,
    };
  },

  appConfig(ctx) {
    return {
      kubernetes: {
        name: CONTEXT,
        kubeconfigPath: kubeconfigPath(ctx),
        context: CONTEXT,
      },
    };
  },
};
