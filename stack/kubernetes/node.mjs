// Runs the stack cluster's real node as plain processes: containerd (with
// runc and the CNI plugins), the kubelet and kube-proxy, against the control
// plane of stack/kubernetes/supervise.mjs. Started by `lp-stack up
// kube-node` with the path of a JSON settings file (written, with every
// configuration file, by stack/components/kube-node.mjs); stays in the
// foreground as the component's process-group leader.
//
// Start: the host's state is recorded (host.mjs), the node's cgroup and the
// pods' bridge are made, the API server is forwarded to the bridge address
// (the `kubernetes` Service's endpoint), then containerd, the pause image,
// the kubelet (until its Node is Ready), kube-proxy, kube-router's
// NetworkPolicy firewall and the cluster DNS
// (CoreDNS as a Deployment, as kind has it).
// Stop (SIGTERM): the node is tainted NoExecute so every pod is evicted and
// torn down by the kubelet (the CNI plugins remove their interfaces, rules
// and addresses), then kube-router, kube-proxy, the kubelet and containerd
// stop, the Node object goes, and host.mjs sweeps and restores the rest.
import { spawnSync } from 'node:child_process';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { apiRequest, applyObject, waitFor } from './api.mjs';
import { startChild } from './children.mjs';
import { isAlive, run } from '../lib/context.mjs';
import {
  cgroupDirs,
  readLock,
  releaseLock,
  restore,
  snapshot,
  sweep,
} from './host.mjs';
import {
  BRIDGE,
  CLUSTER_DOMAIN,
  DNS_SERVICE_IP,
  KUBERNETES_SERVICE_IP,
  NODE_IP,
  POD_CIDR,
} from './network.mjs';

const settings = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const {
  binDir,
  dataDir,
  logDir,
  nodeName,
  apiPort,
  admin,
  containerd,
  kubelet,
  kubeProxy,
  kubeRouter,
  images,
  addons,
  hostStateFile,
  lockFile,
  cgroupName,
  podLogsDir,
  ipamDir,
  ports,
} = settings;
const sweepPaths = {
  dataDir,
  containerdDir: containerd.dir,
  containerdSocket: containerd.socket,
  podLogsDir,
  cgroupName,
  ipamDir,
};

const readyFile = path.join(dataDir, 'ready');
const children = new Map();
let stopping = false;
let forwarder;

const say = message =>
  process.stdout.write(
    `[kube-node ${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );

/** One node per host: kube-proxy's chains and the bridge are host-wide. */
function acquireLock() {
  const owner = readLock(lockFile);
  if (owner && owner.dataDir !== dataDir && isAlive(owner.pid))
    throw new Error(
      `another stack's node runs on this host (pid ${owner.pid}, state ${owner.dataDir}); kube-proxy's iptables chains and the pods' bridge are host-wide, so only one can: stop it with its \`lp-stack down kube-node\``,
    );
  fs.writeFileSync(lockFile, `${process.pid}\n${dataDir}\n`);
}

function start(name, command, args) {
  // A process group of its own: `lp-stack down` signals the supervisor's
  // group, and the kubelet must outlive that signal to drain the node.
  // (If the supervisor is killed instead, the sweep stops them.)
  startChild(
    children,
    {
      name,
      command,
      args,
      logFile: path.join(logDir, `kube-node-${name}.log`),
      say,
      isStopping: () => stopping,
      onUnexpectedExit: () => stop(1),
    },
    { detached: true },
  );
}

async function stopChild(name, timeoutMs) {
  const child = children.get(name);
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (
    child.exitCode === null &&
    child.signalCode === null &&
    Date.now() < deadline
  )
    await new Promise(resolve => setTimeout(resolve, 100));
  if (child.exitCode === null && child.signalCode === null)
    child.kill('SIGKILL');
}

const podsOnNode = async () => {
  const res = await apiRequest(
    admin,
    'GET',
    `/api/v1/pods?fieldSelector=spec.nodeName%3D${nodeName}`,
  );
  if (res.status !== 200) throw new Error(`listing pods: HTTP ${res.status}`);
  return res.body.items ?? [];
};

/**
 * Evicts every pod through the kubelet, so each is torn down properly
 * (containers stopped, network removed by the CNI plugins, volumes
 * unmounted): a NoExecute taint, then the pods are deleted and awaited.
 */
async function drain() {
  if (!children.has('kubelet')) return;
  try {
    const node = await apiRequest(admin, 'GET', `/api/v1/nodes/${nodeName}`);
    if (node.status !== 200) return;
    const taints = (node.body.spec.taints ?? []).filter(
      t => t.key !== 'lambda-pipelines.io/stopping',
    );
    await apiRequest(
      admin,
      'PATCH',
      `/api/v1/nodes/${nodeName}`,
      {
        spec: {
          unschedulable: true,
          taints: [
            ...taints,
            { key: 'lambda-pipelines.io/stopping', effect: 'NoExecute' },
          ],
        },
      },
      'application/merge-patch+json',
    );
    const pods = await podsOnNode();
    say(`draining ${pods.length} pod(s)`);
    for (const pod of pods)
      await apiRequest(
        admin,
        'DELETE',
        `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`,
        { gracePeriodSeconds: 5 },
      );
    await waitFor('the pods to stop', 45_000, async () => {
      const left = await podsOnNode();
      return left.length === 0;
    });
  } catch (error) {
    say(`drain incomplete (${error.message}); the sweep removes the rest`);
  }
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  fs.rmSync(readyFile, { force: true });
  await drain();
  for (const name of ['kube-router', 'kube-proxy', 'kubelet']) {
    say(`stopping ${name}`);
    await stopChild(name, 10_000);
  }
  try {
    await apiRequest(admin, 'DELETE', `/api/v1/nodes/${nodeName}`);
  } catch {
    // the control plane may be gone already
  }
  say('stopping containerd');
  await stopChild('containerd', 10_000);
  forwarder?.close();
  try {
    const found = sweep(sweepPaths);
    if (found.length) say(`removed: ${found.join(', ')}`);
    const restored = restore(hostStateFile);
    if (restored.length) say(`restored: ${restored.join(', ')}`);
  } catch (error) {
    say(`cleanup failed: ${error.message} (run \`lp-stack down\` again)`);
    code = 1;
  }
  releaseLock(lockFile, dataDir);
  process.exit(code);
}

process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));

/** The pods' bridge with the node's address, made before the CNI plugin would. */
function ensureBridge() {
  if (spawnSync('ip', ['link', 'show', BRIDGE]).status !== 0)
    run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  const addresses = run('ip', ['-o', '-4', 'addr', 'show', 'dev', BRIDGE]);
  const prefix = POD_CIDR.split('/')[1];
  if (!addresses.includes(` ${NODE_IP}/${prefix} `))
    run('ip', ['addr', 'add', `${NODE_IP}/${prefix}`, 'dev', BRIDGE]);
  run('ip', ['link', 'set', BRIDGE, 'up']);
}

/**
 * Pods reach the API server at the `kubernetes` Service, whose endpoint is
 * the bridge address; the API server listens on loopback only, so the node
 * passes that address's connections on (TLS end to end).
 */
function forwardApiServer() {
  return new Promise((resolve, reject) => {
    const server = net.createServer(socket => {
      const upstream = net.connect(apiPort, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', close);
      upstream.on('error', close);
    });
    server.on('error', reject);
    server.listen(apiPort, NODE_IP, () => resolve(server));
  });
}

async function main() {
  fs.rmSync(readyFile, { force: true });
  fs.mkdirSync(logDir, { recursive: true });
  acquireLock();
  // A previous run that crashed leaves its snapshot: that one is the host's.
  snapshot(hostStateFile);
  // Left over from a crash: gone before anything starts.
  sweep(sweepPaths);

  for (const dir of cgroupDirs(cgroupName))
    if (!dir.includes('/unified/')) fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(podLogsDir, { recursive: true });
  ensureBridge();
  forwarder = await forwardApiServer();
  say(`API server forwarded from ${NODE_IP}:${apiPort}`);

  start('containerd', containerd.binary, ['--config', containerd.config]);
  await waitFor('containerd', 60_000, async () => {
    run(containerd.ctr, ['--address', containerd.socket, 'version'], {
      timeout: 10_000,
    });
    return true;
  });
  // The sandbox image and the add-ons' images, from the install (they are
  // in no registry).
  for (const image of images) {
    run(
      containerd.ctr,
      [
        '--address',
        containerd.socket,
        '--namespace',
        'k8s.io',
        'images',
        'import',
        image.archive,
      ],
      { timeout: 300_000 },
    );
    say(`imported ${image.name}`);
  }

  start('kubelet', path.join(binDir, 'kubelet'), kubelet.args);
  await waitFor('the kubelet to register the node', 120_000, async () => {
    const res = await apiRequest(admin, 'GET', `/api/v1/nodes/${nodeName}`);
    return res.status === 200;
  });
  // The node's pod range (the CNI configuration's), as kind's controller
  // manager would allocate it; set once, immutable afterwards.
  const node = await apiRequest(admin, 'GET', `/api/v1/nodes/${nodeName}`);
  if (!node.body.spec.podCIDR)
    await apiRequest(
      admin,
      'PATCH',
      `/api/v1/nodes/${nodeName}`,
      { spec: { podCIDR: POD_CIDR, podCIDRs: [POD_CIDR] } },
      'application/merge-patch+json',
    );

  start('kube-proxy', path.join(binDir, 'kube-proxy'), kubeProxy.args);
  await waitFor('kube-proxy', 60_000, async () => {
    const res = await fetch(
      `http://127.0.0.1:${ports.kubeProxyHealthz}/healthz`,
      {
        signal: AbortSignal.timeout(2000),
      },
    );
    return res.ok;
  });
  // NetworkPolicies enforced: kube-router's firewall, with what it may read.
  for (const object of kubeRouter.rbac) await applyObject(admin, object);
  start('kube-router', kubeRouter.binary, kubeRouter.args);
  await waitFor('kube-router to install its firewall', 60_000, async () =>
    run('iptables', ['-S', 'KUBE-ROUTER-FORWARD']).includes('-N'),
  );
  await waitFor('the node to become Ready', 120_000, async () => {
    const res = await apiRequest(admin, 'GET', `/api/v1/nodes/${nodeName}`);
    return (res.body?.status?.conditions ?? []).some(
      c => c.type === 'Ready' && c.status === 'True',
    );
  });
  for (const object of addons) await applyObject(admin, object);
  for (const deployment of addons.filter(o => o.kind === 'Deployment')) {
    const { name, namespace } = deployment.metadata;
    await waitFor(`${namespace}/${name} to be available`, 180_000, async () => {
      const res = await apiRequest(
        admin,
        'GET',
        `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
      );
      return (res.body?.status?.availableReplicas ?? 0) >= 1;
    });
  }
  // And answering through its Service (kube-proxy has its endpoint).
  const resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([DNS_SERVICE_IP]);
  await waitFor('the cluster DNS to answer', 120_000, async () => {
    const addresses = await resolver.resolve4(
      `kubernetes.default.svc.${CLUSTER_DOMAIN}`,
    );
    return addresses.includes(KUBERNETES_SERVICE_IP);
  });
  fs.writeFileSync(readyFile, new Date().toISOString());
  say(`ready: node ${nodeName} (${NODE_IP}), cluster DNS and volumes up`);
}

main().catch(error => {
  say(`error: ${error.message}`);
  stop(1);
});
