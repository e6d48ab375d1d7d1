// The stack cluster's real node: Debian's containerd (with runc and the CNI
// plugins: bridge, host-local, portmap, loopback) under a configuration of
// our own, the kubelet and kube-proxy built with the control plane
// (stack/components/kubernetes.mjs), and a pause image built here. Pods run
// as real containers with bridge addresses, enforced limits and the API
// server reachable at the `kubernetes` Service. Everything lives under the
// stack's state directory except what cannot (kernel settings, iptables
// chains, the bridge, cgroups): stack/kubernetes/host.mjs records the host
// before the first start and `down` puts it back. The processes are run by
// stack/kubernetes/node.mjs. See stack/README.md ("The real node").
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  REPO_ROOT,
  componentContext,
  installDebianPackages,
  isAlive,
  run,
} from '../lib/context.mjs';
import { LOCAL_REGISTRY } from '../lib/versions.mjs';
import {
  BRIDGE,
  CLUSTER_CIDR,
  CLUSTER_DOMAIN,
  CNI_NETWORK,
  DNS_SERVICE_IP,
  NODE_IP,
  POD_CIDR,
  SERVICE_CIDR,
} from '../kubernetes/network.mjs';
import { ensureCert, writeCertKubeconfig } from '../kubernetes/pki.mjs';
import { coreDnsObjects } from '../kubernetes/coredns.mjs';
import { STORAGE_CLASS, localPathObjects } from '../kubernetes/localPath.mjs';
import { readLock, releaseLock, restore, sweep } from '../kubernetes/host.mjs';
import kubernetes from './kubernetes.mjs';
import podmanComponent, {
  DEBIAN_IMAGE,
  buildImageArchive,
  podman,
} from './podman.mjs';

/** Debian packages the node runs (containerd brings runc). */
const PACKAGES = {
  containerd: '/usr/bin/containerd',
  iptables: '/usr/sbin/iptables',
  // To remove the tables iptables-nft leaves behind on down.
  nftables: '/usr/sbin/nft',
  // kube-router's firewall keeps pod and policy address sets in ipsets.
  ipset: '/usr/sbin/ipset',
};
const CONTAINERD_VERSION = '1.6.20';
export const NODE_NAME = 'lambda-worker';
/**
 * While kwok's node still carries the deploy tests' workloads (issue 19),
 * the real node takes only pods that tolerate this taint.
 */
export const REAL_NODE_TAINT = {
  key: 'lambda-pipelines.io/real-node',
  value: 'true',
  effect: 'NoSchedule',
};
const PAUSE_DIR = path.join(REPO_ROOT, 'stack', 'kubernetes', 'pause');
const COREDNS_DIR = path.join(REPO_ROOT, 'stack', 'kubernetes', 'coredns');
const COREDNS_VERSION = 'v1.15.0';
/** CoreDNS, kube-router and local-path-provisioner: one wrapper module. */
const ADDONS_DIR = path.join(REPO_ROOT, 'stack', 'kubernetes', 'node-addons');
const KUBE_ROUTER_VERSION = 'v2.1.0';
const LOCAL_PATH_DIR = path.join(
  REPO_ROOT,
  'stack',
  'kubernetes',
  'local-path',
);
const LOCAL_PATH_VERSION = 'v0.0.33';
/** One node per host: the lock names the state directory that runs it. */
const LOCK_FILE = '/run/lambda-pipelines-kube-node.lock';

/** What the install builds from: a change makes a new version. */
const RECIPE = crypto.createHash('sha256');
for (const file of [
  path.join(PAUSE_DIR, 'Containerfile'),
  path.join(COREDNS_DIR, 'Containerfile'),
  ...['go.mod', 'go.sum', 'coredns/main.go'].map(f => path.join(ADDONS_DIR, f)),
  path.join(LOCAL_PATH_DIR, 'Containerfile'),
])
  RECIPE.update(fs.readFileSync(file));
const RECIPE_HASH = RECIPE.update(podmanComponent.version)
  .digest('hex')
  .slice(0, 8);
/** Counts changes to how the install builds (2: kube-router's version stamp). */
const BUILD_REVISION = 2;
const VERSION = [
  kubernetes.version,
  `containerd${CONTAINERD_VERSION}`,
  `coredns${COREDNS_VERSION.slice(1)}`,
  `kuberouter${KUBE_ROUTER_VERSION.slice(1)}`,
  `localpath${LOCAL_PATH_VERSION.slice(1)}`,
  RECIPE_HASH,
  BUILD_REVISION,
].join('-');
const PAUSE_IMAGE = `localhost/lp-pause:${RECIPE_HASH}`;
const COREDNS_IMAGE = `localhost/lp-coredns:${COREDNS_VERSION}-${RECIPE_HASH}`;
const LOCAL_PATH_IMAGE = `localhost/lp-local-path-provisioner:${LOCAL_PATH_VERSION}-${RECIPE_HASH}`;

const kubeCtx = () => componentContext(kubernetes.name, kubernetes.version);
const podmanCtx = () =>
  componentContext(podmanComponent.name, podmanComponent.version);

/** Where everything of the node lives (one place, for start and cleanup). */
function layout(ctx) {
  const dir = ctx.dataDir;
  return {
    settings: path.join(dir, 'settings.json'),
    hostState: path.join(dir, 'host-state.json'),
    containerdDir: path.join(dir, 'containerd'),
    containerdSocket: path.join(dir, 'containerd', 'containerd.sock'),
    containerdConfig: path.join(dir, 'containerd', 'config.toml'),
    cniConfDir: path.join(dir, 'cni', 'net.d'),
    cniIpamDir: path.join(dir, 'cni', 'ipam'),
    kubeletDir: path.join(dir, 'kubelet'),
    kubeletConfig: path.join(dir, 'kubelet-config.yaml'),
    kubeProxyConfig: path.join(dir, 'kube-proxy-config.yaml'),
    pki: path.join(dir, 'pki'),
    // The control plane's CA, which signs the node's certificates.
    caDir: path.join(kubeCtx().dataDir, 'pki'),
    podLogsDir: path.join(dir, 'pod-logs'),
    pauseArchive: path.join(ctx.installDir, 'pause.tar'),
    coreDnsArchive: path.join(ctx.installDir, 'coredns.tar'),
    kubeRouterBinary: path.join(ctx.installDir, 'kube-router'),
    localPathArchive: path.join(ctx.installDir, 'local-path-provisioner.tar'),
    localPathVolumes: path.join(ctx.dataDir, 'local-path'),
    // A cgroup name of this state directory's own, in every controller.
    cgroupName: `lp-stack-node-${crypto
      .createHash('sha256')
      .update(dir)
      .digest('hex')
      .slice(0, 8)}`,
  };
}

/**
 * local-path's helper pods run Debian's sh, mkdir and rm: the stack's
 * Debian image, pushed to the stack's registry and pulled under kind's
 * registry name, like the generated manifests' images. (Imported with
 * `ctr` next to a pulled copy of the same image, containerd 1.6's CRI
 * does not find it: the kubelet pulls, and fails.)
 */
function pushHelperImage(ctx) {
  const repository = `lp-stack/debian:${DEBIAN_IMAGE.split(':').pop()}`;
  podman(podmanCtx(), [
    'push',
    '--quiet',
    '--tls-verify=false',
    DEBIAN_IMAGE,
    `${ctx.host}:${ctx.port('registry')}/${repository}`,
  ]);
  return `${LOCAL_REGISTRY.cluster}/${repository}`;
}

/** A static build from a wrapper module whose go.sum is the lock. */
function goBuild(moduleDir, output, targets, ldflags = '') {
  run(
    'nice',
    [
      'go',
      'build',
      '-trimpath',
      `-ldflags=-s -w ${ldflags}`,
      '-o',
      output,
      ...targets,
    ],
    {
      cwd: moduleDir,
      env: {
        ...process.env,
        GOFLAGS: '-buildvcs=false -mod=readonly',
        GOTOOLCHAIN: 'local',
        CGO_ENABLED: '0',
      },
    },
  );
}

/** Written by the supervisor once the node and its DNS are up. */
const readyFile = ctx => path.join(ctx.dataDir, 'ready');

const json = value => `${JSON.stringify(value, null, 2)}\n`;

function writeContainerdConfig(ctx, files) {
  const registry = `${ctx.host}:${ctx.port('registry')}`;
  const certsDir = path.join(files.containerdDir, 'certs.d');
  // The generated manifests' registry names and the stack's own, all served
  // by the stack's registry over plain HTTP.
  for (const name of [LOCAL_REGISTRY.cluster, LOCAL_REGISTRY.host, registry]) {
    fs.mkdirSync(path.join(certsDir, name), { recursive: true });
    fs.writeFileSync(
      path.join(certsDir, name, 'hosts.toml'),
      `# ${name} is the stack's registry (stack/components/registry.mjs).
server = "http://${registry}"

[host."http://${registry}"]
  capabilities = ["pull", "resolve"]
`,
    );
  }
  const d = files.containerdDir;
  fs.writeFileSync(
    files.containerdConfig,
    `# The stack node's containerd (stack/components/kube-node.mjs): its own
# root, state and socket, so it never meets the host's containerd, if any.
version = 2
root = "${d}/root"
state = "${d}/state"
oom_score = 0

[grpc]
  address = "${files.containerdSocket}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${d}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # Without CAP_SYS_RESOURCE a container cannot get a lower oom_score_adj
  # than containerd's; asking for one fails every sandbox.
  restrict_oom_score_adj = true
  # Pods' network namespaces under the state directory, not /run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # The kubelet's cgroup driver is cgroupfs (no systemd here).
        SystemdCgroup = false
        Root = "${d}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    # Debian's containernetworking-plugins.
    bin_dir = "/usr/lib/cni"
    conf_dir = "${files.cniConfDir}"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${certsDir}"
`,
  );
  fs.mkdirSync(files.cniConfDir, { recursive: true });
  fs.writeFileSync(
    path.join(files.cniConfDir, '10-lp-pods.conflist'),
    json({
      cniVersion: '1.0.0',
      name: CNI_NETWORK,
      plugins: [
        {
          type: 'bridge',
          bridge: BRIDGE,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: files.cniIpamDir,
            ranges: [[{ subnet: POD_CIDR, gateway: NODE_IP }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    }),
  );
}

/**
 * `<name>.kubeconfig` for a component of the node that authenticates with a
 * client certificate of the control plane's CA (`commonName` is its user).
 */
function clientKubeconfig(ctx, files, server, name, subject) {
  const cert = ensureCert(files.caDir, files.pki, `${name}-client`, subject);
  return writeCertKubeconfig(path.join(ctx.dataDir, `${name}.kubeconfig`), {
    server,
    user: subject.commonName,
    cert,
  });
}

function writeKubeletConfig(ctx, files, server, caFile) {
  const kubeconfig = clientKubeconfig(ctx, files, server, 'kubelet', {
    commonName: `system:node:${NODE_NAME}`,
    organization: 'system:nodes',
  });
  const serving = ensureCert(files.caDir, files.pki, 'kubelet-serving', {
    commonName: NODE_NAME,
    sans: [`IP:${NODE_IP}`, `DNS:${NODE_NAME}`],
    server: true,
  });
  fs.writeFileSync(
    files.kubeletConfig,
    json({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      // These hosts have hybrid cgroup v1 and no systemd.
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: `/${files.cgroupName}`,
      containerRuntimeEndpoint: `unix://${files.containerdSocket}`,
      address: NODE_IP,
      port: ctx.port('kubelet'),
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort: ctx.port('kubeletHealthz'),
      tlsCertFile: serving.cert,
      tlsPrivateKeyFile: serving.key,
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: caFile },
      },
      authorization: { mode: 'Webhook' },
      clusterDNS: [DNS_SERVICE_IP],
      clusterDomain: CLUSTER_DOMAIN,
      resolvConf: '/etc/resolv.conf',
      podLogsDir: files.podLogsDir,
      failSwapOn: false,
      // Its own oom_score_adj cannot be lowered without CAP_SYS_RESOURCE.
      oomScoreAdj: 0,
      // The disk is shared with everything else on the machine: evict only
      // when it is really full, not at kubelet's 10-15 % defaults.
      evictionHard: {
        'memory.available': '200Mi',
        'nodefs.available': '2%',
        'imagefs.available': '2%',
      },
      imageGCHighThresholdPercent: 95,
      imageGCLowThresholdPercent: 90,
      registerWithTaints: [REAL_NODE_TAINT],
      serializeImagePulls: false,
      rotateCertificates: false,
      serverTLSBootstrap: false,
    }),
  );
  return {
    args: [
      `--config=${files.kubeletConfig}`,
      `--kubeconfig=${kubeconfig}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${NODE_IP}`,
      `--root-dir=${files.kubeletDir}`,
      '--v=1',
    ],
  };
}

function writeKubeProxyConfig(ctx, files, server) {
  const kubeconfig = clientKubeconfig(ctx, files, server, 'kube-proxy', {
    commonName: 'system:kube-proxy',
  });
  fs.writeFileSync(
    files.kubeProxyConfig,
    json({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig },
      hostnameOverride: NODE_NAME,
      mode: 'iptables',
      clusterCIDR: CLUSTER_CIDR,
      bindAddress: NODE_IP,
      healthzBindAddress: `127.0.0.1:${ctx.port('kubeProxyHealthz')}`,
      metricsBindAddress: `127.0.0.1:${ctx.port('kubeProxyMetrics')}`,
      // NodePorts on the node's address only, as kind's node container has
      // them on its own interface, not on the host's.
      nodePortAddresses: [`${NODE_IP}/32`],
      // Leave the host's settings alone: no oom_score_adj (not permitted),
      // no route_localnet, no conntrack table size or timeouts.
      oomScoreAdj: 0,
      iptables: { localhostNodePorts: false },
      conntrack: {
        maxPerCore: 0,
        min: 0,
        tcpEstablishedTimeout: '0s',
        tcpCloseWaitTimeout: '0s',
      },
    }),
  );
  return {
    args: [`--config=${files.kubeProxyConfig}`, '--v=1'],
  };
}

/**
 * kube-router with its firewall only (kube-proxy serves Services, the
 * bridge plugin routes): NetworkPolicies become iptables rules and ipsets.
 */
function kubeRouterSettings(ctx, files, server) {
  const kubeconfig = clientKubeconfig(ctx, files, server, 'kube-router', {
    commonName: KUBE_ROUTER_USER,
  });
  return {
    binary: files.kubeRouterBinary,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--hostname-override=${NODE_NAME}`,
      '--run-firewall=true',
      '--run-router=false',
      '--run-service-proxy=false',
      '--enable-cni=false',
      '--enable-ipv6=false',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // Its health endpoint would listen on every interface; readiness is
      // read from its chains instead.
      '--health-port=0',
      '--metrics-port=0',
      '--v=1',
    ],
    rbac: kubeRouterRbac(),
  };
}

const KUBE_ROUTER_USER = 'system:kube-router';

/** What kube-router's firewall reads (its upstream ClusterRole, trimmed). */
function kubeRouterRbac() {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'lp-stack:kube-router' },
      rules: [
        {
          apiGroups: [''],
          resources: ['namespaces', 'pods', 'services', 'nodes', 'endpoints'],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: ['networking.k8s.io'],
          resources: ['networkpolicies'],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: ['discovery.k8s.io'],
          resources: ['endpointslices'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'lp-stack:kube-router' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'lp-stack:kube-router',
      },
      subjects: [
        {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'User',
          name: KUBE_ROUTER_USER,
        },
      ],
    },
  ];
}

function adminClient() {
  const dir = kubeCtx().dataDir;
  return {
    url: `https://${kubeCtx().host}:${kubeCtx().port('kubeApiserver')}`,
    token: fs
      .readFileSync(path.join(dir, 'pki', 'tokens.csv'), 'utf8')
      .split(',')[0],
    caFile: path.join(dir, 'pki', 'ca.crt'),
  };
}

export default {
  name: 'kube-node',
  version: VERSION,
  description: `A real node for the stack's Kubernetes: kubelet and kube-proxy ${
    kubernetes.version.split('-')[0]
  }, containerd ${CONTAINERD_VERSION} (Debian) with runc and the CNI plugins, CoreDNS ${COREDNS_VERSION}, kube-router ${KUBE_ROUTER_VERSION}'s NetworkPolicy firewall, local-path-provisioner ${LOCAL_PATH_VERSION}`,
  dependsOn: ['kubernetes', 'registry', 'podman'],
  // Started only when named (`lp-stack up kube-node`), until kwok goes.
  optIn: true,
  readyTimeoutSeconds: 300,
  // The drain (up to 45 s), then each process in turn.
  stopTimeoutSeconds: 120,

  async install(ctx) {
    if (!fs.existsSync(path.join(kubeCtx().installDir, 'bin', 'kubelet')))
      throw new Error(
        `the kubelet is not built: run \`stack/lp-stack install kubernetes\` (version ${kubernetes.version})`,
      );
    installDebianPackages(ctx, 'the node', PACKAGES);
    const installed = run('/usr/bin/containerd', ['--version']);
    if (!installed.includes(` ${CONTAINERD_VERSION}`))
      throw new Error(
        `the node is tested with containerd ${CONTAINERD_VERSION}; Debian's is ${installed.trim()}`,
      );
    const files = layout(ctx);
    const pod = podmanCtx();
    const buildImage = (image, context, archive) => {
      ctx.log(`building ${image}`);
      buildImageArchive(pod, image, context, archive);
    };
    buildImage(PAUSE_IMAGE, PAUSE_DIR, files.pauseArchive);
    // CoreDNS, kube-router and local-path-provisioner from the Go module
    // proxy (node-addons/go.sum is the lock); the two that run as pods in
    // images of their own, the static binary alone.
    const context = name => {
      const dir = path.join(ctx.installDir, `${name}-context`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      return dir;
    };
    const binaries = context('binaries');
    ctx.log(
      `go build CoreDNS ${COREDNS_VERSION}, kube-router ${KUBE_ROUTER_VERSION} and local-path-provisioner ${LOCAL_PATH_VERSION} (about 4 min with cold Go caches)`,
    );
    goBuild(
      ADDONS_DIR,
      `${binaries}/`,
      [
        './coredns',
        'github.com/cloudnativelabs/kube-router/v2/cmd/kube-router',
        'github.com/rancher/local-path-provisioner',
      ],
      // What kube-router's release build stamps (it logs a warning without).
      `-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=${KUBE_ROUTER_VERSION}`,
    );
    fs.renameSync(path.join(binaries, 'kube-router'), files.kubeRouterBinary);
    const imageContext = (name, binary, containerfileDir) => {
      const dir = context(name);
      fs.renameSync(path.join(binaries, binary), path.join(dir, binary));
      fs.copyFileSync(
        path.join(containerfileDir, 'Containerfile'),
        path.join(dir, 'Containerfile'),
      );
      return dir;
    };
    buildImage(
      COREDNS_IMAGE,
      imageContext('coredns', 'coredns', COREDNS_DIR),
      files.coreDnsArchive,
    );
    const localPath = imageContext(
      'local-path',
      'local-path-provisioner',
      LOCAL_PATH_DIR,
    );
    buildImage(LOCAL_PATH_IMAGE, localPath, files.localPathArchive);
    for (const name of ['binaries', 'coredns', 'local-path'])
      fs.rmSync(path.join(ctx.installDir, `${name}-context`), {
        recursive: true,
        force: true,
      });
  },

  async start(ctx) {
    const files = layout(ctx);
    fs.mkdirSync(ctx.dataDir, { recursive: true });
    // A killed node's marker must not pass for this start's.
    fs.rmSync(readyFile(ctx), { force: true });
    const admin = adminClient();
    const server = admin.url;
    writeContainerdConfig(ctx, files);
    const kubelet = writeKubeletConfig(ctx, files, server, admin.caFile);
    const kubeProxy = writeKubeProxyConfig(ctx, files, server);
    const kubeRouter = kubeRouterSettings(ctx, files, server);
    fs.writeFileSync(
      files.settings,
      json({
        binDir: path.join(kubeCtx().installDir, 'bin'),
        dataDir: ctx.dataDir,
        logDir: path.dirname(ctx.logFile),
        nodeName: NODE_NAME,
        apiPort: kubeCtx().port('kubeApiserver'),
        admin,
        containerd: {
          binary: '/usr/bin/containerd',
          ctr: '/usr/bin/ctr',
          dir: files.containerdDir,
          config: files.containerdConfig,
          socket: files.containerdSocket,
        },
        kubelet,
        kubeProxy,
        kubeRouter,
        // Imported into the node's containerd at start (not in a registry).
        images: [
          { name: PAUSE_IMAGE, archive: files.pauseArchive },
          { name: COREDNS_IMAGE, archive: files.coreDnsArchive },
          { name: LOCAL_PATH_IMAGE, archive: files.localPathArchive },
        ],
        // Applied once the node is Ready: the cluster DNS, as kind has it.
        addons: [
          ...coreDnsObjects({
            image: COREDNS_IMAGE,
            nodeName: NODE_NAME,
            tolerations: [{ key: REAL_NODE_TAINT.key, operator: 'Exists' }],
          }),
          ...localPathObjects({
            image: LOCAL_PATH_IMAGE,
            helperImage: pushHelperImage(ctx),
            volumesDir: files.localPathVolumes,
            nodeName: NODE_NAME,
            tolerations: [{ key: REAL_NODE_TAINT.key, operator: 'Exists' }],
          }),
        ],
        hostStateFile: files.hostState,
        lockFile: LOCK_FILE,
        cgroupName: files.cgroupName,
        podLogsDir: files.podLogsDir,
        ipamDir: files.cniIpamDir,
        ports: { kubeProxyHealthz: ctx.port('kubeProxyHealthz') },
      }),
    );
    ctx.spawnDaemon(process.execPath, [
      path.join(REPO_ROOT, 'stack', 'kubernetes', 'node.mjs'),
      files.settings,
    ]);
  },

  async ready(ctx) {
    return fs.existsSync(readyFile(ctx));
  },

  /**
   * After the node's processes are gone (also when they crashed or were
   * killed): whatever they left outside the state directory goes, and the
   * host's settings come back.
   */
  async cleanup(ctx) {
    if (isAlive(ctx.readPid())) return;
    const files = layout(ctx);
    fs.rmSync(readyFile(ctx), { force: true });
    // A clean stop leaves neither the record of the host nor the lock: then
    // there is nothing of ours to sweep, and the host's KUBE-* chains may
    // be another checkout's running node's.
    const owner = readLock(LOCK_FILE);
    const locked = owner?.dataDir === ctx.dataDir;
    if (!fs.existsSync(files.hostState) && !locked) return;
    if (owner && !locked && isAlive(owner.pid)) {
      ctx.log(
        `not cleaning up: another checkout's node runs on this host (state ${owner.dataDir}) and the host-wide rules are its own now`,
      );
      return;
    }
    // The node did not stop cleanly: its Node object goes too, so nothing
    // is scheduled onto it (and its pods are collected).
    try {
      const { apiRequest } = await import('../kubernetes/api.mjs');
      await apiRequest(adminClient(), 'DELETE', `/api/v1/nodes/${NODE_NAME}`);
    } catch {
      // the control plane is down: nothing to schedule onto it either
    }
    const found = sweep({
      dataDir: ctx.dataDir,
      containerdDir: files.containerdDir,
      containerdSocket: files.containerdSocket,
      podLogsDir: files.podLogsDir,
      cgroupName: files.cgroupName,
      ipamDir: files.cniIpamDir,
    });
    const restored = restore(files.hostState);
    if (found.length || restored.length)
      ctx.log(`cleaned up: ${[...found, ...restored].join(', ')}`);
    releaseLock(LOCK_FILE, ctx.dataDir);
  },

  env(ctx) {
    return fs.existsSync(readyFile(ctx))
      ? {
          LP_KUBE_REAL_NODE: NODE_NAME,
          LP_KUBE_REAL_NODE_IP: NODE_IP,
          LP_KUBE_REAL_NODE_TAINT: `${REAL_NODE_TAINT.key}=${REAL_NODE_TAINT.value}:${REAL_NODE_TAINT.effect}`,
          LP_CONTAINERD_SOCKET: layout(ctx).containerdSocket,
          LP_KUBE_NODE_DATA_DIR: ctx.dataDir,
          LP_KUBE_NODE_HOST_STATE: layout(ctx).hostState,
          LP_KUBE_NODE_PID_FILE: ctx.pidFile,
          LP_KUBE_NODE_COREDNS_IMAGE: COREDNS_IMAGE,
          LP_KUBE_NODE_STORAGE_CLASS: STORAGE_CLASS,
          LP_KUBE_NODE_VOLUMES_DIR: layout(ctx).localPathVolumes,
        }
      : {};
  },
};
