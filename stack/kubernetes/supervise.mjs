// Runs a one-node Kubernetes cluster as plain processes: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (which plays the kubelet:
// it keeps the node Ready and gives pods, volumes and operator-managed custom
// resources a status). Started by `lp-stack up kubernetes` with the path of a
// JSON settings file (written by stack/components/kubernetes.mjs); stays in
// the foreground as the component's process-group leader, and stops every
// child when one of them dies or when it is signalled.
//
// Start order matters: kwok's stage controllers fail at start for kinds the
// API server does not serve yet, so the node, the default StorageClass and
// the vendored CRDs are created (CRDs until Established) before kwok starts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { apiRequest, applyObject, waitFor } from './api.mjs';
import { startChild } from './children.mjs';
import { API_SERVER_SANS, NODE_IP, SERVICE_CIDR } from './network.mjs';
import { ensureCa, ensureCert } from './pki.mjs';

const settings = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const {
  binDir,
  dataDir,
  logDir,
  host,
  ports,
  version,
  node,
  crdFiles,
  kwokConfig,
  bootstrapObjects,
} = settings;

const pkiDir = path.join(dataDir, 'pki');
const readyFile = path.join(dataDir, 'ready');
const children = new Map();
let stopping = false;

const say = message =>
  process.stdout.write(
    `[kubernetes ${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  fs.rmSync(readyFile, { force: true });
  for (const [name, child] of children) {
    say(`stopping ${name}`);
    child.kill('SIGTERM');
  }
  const deadline = Date.now() + 10_000;
  const timer = setInterval(() => {
    const alive = [...children.values()].filter(c => c.exitCode === null);
    if (alive.length === 0 || Date.now() > deadline) {
      alive.forEach(c => c.kill('SIGKILL'));
      clearInterval(timer);
      process.exit(code);
    }
  }, 100);
}

process.on('SIGTERM', () => stopAll(0));
process.on('SIGINT', () => stopAll(0));

/** Starts one binary with its own log file; any exit stops the cluster. */
function start(name, args) {
  startChild(children, {
    name,
    command: path.join(binDir, name),
    args,
    logFile: path.join(logDir, `kubernetes-${name}.log`),
    say,
    isStopping: () => stopping,
    onUnexpectedExit: () => stopAll(1),
  });
}

/**
 * Keys, certificates (see pki.mjs), the admin token and the kubeconfig every
 * client uses; kept across restarts.
 */
function ensurePki() {
  fs.mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  const ca = ensureCa(pkiDir);
  const serving = ensureCert(pkiDir, pkiDir, 'apiserver', {
    commonName: 'kube-apiserver',
    sans: API_SERVER_SANS,
    server: true,
  });
  // The API server's identity towards kubelets (logs, exec, port-forward).
  const kubeletClient = ensureCert(pkiDir, pkiDir, 'apiserver-kubelet-client', {
    commonName: 'kube-apiserver-kubelet-client',
    organization: 'system:masters',
  });
  const saKey = path.join(pkiDir, 'sa.key');
  if (!fs.existsSync(saKey)) {
    const { privateKey } = crypto.generateKeyPairSync('rsa', {
      modulusLength: 2048,
    });
    fs.writeFileSync(
      saKey,
      privateKey.export({ type: 'pkcs8', format: 'pem' }),
      { mode: 0o600 },
    );
  }
  const tokens = path.join(pkiDir, 'tokens.csv');
  if (!fs.existsSync(tokens)) {
    const token = crypto.randomBytes(24).toString('hex');
    fs.writeFileSync(tokens, `${token},lp-admin,lp-admin,"system:masters"\n`, {
      mode: 0o600,
    });
  }
  return {
    ca,
    serving,
    kubeletClient,
    saKey,
    tokens,
    token: fs.readFileSync(tokens, 'utf8').split(',')[0],
  };
}

function writeKubeconfig(token) {
  const server = `https://${host}:${ports.kubeApiserver}`;
  const file = path.join(dataDir, 'kubeconfig');
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'lp-stack',
        cluster: {
          server,
          'certificate-authority': path.join(pkiDir, 'ca.crt'),
        },
      },
    ],
    users: [{ name: 'lp-admin', user: { token } }],
    contexts: [
      { name: 'lp-stack', context: { cluster: 'lp-stack', user: 'lp-admin' } },
    ],
    'current-context': 'lp-stack',
  };
  // JSON is YAML; every Kubernetes client reads it.
  fs.writeFileSync(file, `${JSON.stringify(kubeconfig, null, 2)}\n`, {
    mode: 0o600,
  });
  return file;
}

/** etcd's data belongs to one etcd/Kubernetes version; another one starts afresh. */
function ensureDataVersion() {
  const versionFile = path.join(dataDir, 'VERSION');
  const etcdData = path.join(dataDir, 'etcd');
  const previous = fs.existsSync(versionFile)
    ? fs.readFileSync(versionFile, 'utf8').trim()
    : undefined;
  if (previous && previous !== version) {
    const aside = `${etcdData}.${previous}.${Date.now()}`;
    say(`etcd data is from ${previous}; moving it to ${aside}`);
    fs.renameSync(etcdData, aside);
  }
  fs.mkdirSync(etcdData, { recursive: true, mode: 0o700 });
  fs.writeFileSync(versionFile, `${version}\n`);
  return etcdData;
}

async function main() {
  fs.rmSync(readyFile, { force: true });
  fs.mkdirSync(logDir, { recursive: true });
  const etcdData = ensureDataVersion();
  const pki = ensurePki();
  const kubeconfig = writeKubeconfig(pki.token);
  const client = {
    url: `https://${host}:${ports.kubeApiserver}`,
    token: pki.token,
    caFile: pki.ca.cert,
  };

  const etcdUrl = `http://${host}:${ports.etcd}`;
  start('etcd', [
    '--name=lp',
    `--data-dir=${etcdData}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://${host}:${ports.etcdPeer}`,
    `--initial-advertise-peer-urls=http://${host}:${ports.etcdPeer}`,
    `--initial-cluster=lp=http://${host}:${ports.etcdPeer}`,
    '--auto-compaction-retention=1',
    '--quota-backend-bytes=2147483648',
    // The CRDs of Spark (800 KB) and their managedFields exceed the 1.5 MiB default.
    '--max-request-bytes=4194304',
    // Test data: durability across power loss is not needed, speed is.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ]);
  await waitFor('etcd', 60_000, async () => {
    const res = await fetch(`${etcdUrl}/health`, {
      signal: AbortSignal.timeout(2000),
    });
    return res.ok && (await res.json()).health === 'true';
  });

  start('kube-apiserver', [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${host}`,
    `--secure-port=${ports.kubeApiserver}`,
    // The node's address, which the kubernetes Service's endpoint names; the
    // node forwards it to this loopback listener (stack/kubernetes/node.mjs),
    // so pods reach the API and nothing else on the host does.
    `--advertise-address=${NODE_IP}`,
    `--tls-cert-file=${pki.serving.cert}`,
    `--tls-private-key-file=${pki.serving.key}`,
    // Client certificates signed by the stack's CA: the kubelet, kube-proxy.
    `--client-ca-file=${pki.ca.cert}`,
    `--kubelet-client-certificate=${pki.kubeletClient.cert}`,
    `--kubelet-client-key=${pki.kubeletClient.key}`,
    // The kubelet serves with a certificate of the same CA (kube-node.mjs).
    `--kubelet-certificate-authority=${pki.ca.cert}`,
    '--kubelet-preferred-address-types=InternalIP',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-signing-key-file=${pki.saKey}`,
    `--service-account-key-file=${pki.saKey}`,
    `--token-auth-file=${pki.tokens}`,
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--event-ttl=1h',
    '--v=1',
  ]);
  await waitFor('kube-apiserver', 120_000, async () => {
    const res = await apiRequest(client, 'GET', '/readyz');
    return res.status === 200;
  });

  const common = [
    `--kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    `--bind-address=${host}`,
    '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
    '--v=1',
  ];
  start('kube-controller-manager', [
    ...common,
    `--secure-port=${ports.kubeControllerManager}`,
    `--root-ca-file=${client.caFile}`,
    // Signs what kubelets ask for through CertificateSigningRequests.
    `--cluster-signing-cert-file=${pki.ca.cert}`,
    `--cluster-signing-key-file=${pki.ca.key}`,
    `--service-account-private-key-file=${pki.saKey}`,
    '--controllers=*',
  ]);
  start('kube-scheduler', [...common, `--secure-port=${ports.kubeScheduler}`]);

  say('creating the node, the default StorageClass and the CRDs');
  for (const object of bootstrapObjects) await applyObject(client, object);
  await applyObject(client, node);
  for (const file of crdFiles) {
    const names = await applyCrds(client, file);
    say(`CRDs from ${path.basename(file)}: ${names.join(', ')}`);
  }

  start('kwok', [
    `--kubeconfig=${kubeconfig}`,
    `--config=${kwokConfig}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    '--node-lease-duration-seconds=40',
    `--server-address=${host}:${ports.kwok}`,
    '--v=INFO',
  ]);
  await waitFor('kwok', 60_000, async () => {
    const res = await fetch(`http://${host}:${ports.kwok}/healthz`, {
      signal: AbortSignal.timeout(2000),
    });
    return res.ok;
  });
  await waitFor('the node to become Ready', 60_000, async () => {
    const res = await apiRequest(
      client,
      'GET',
      `/api/v1/nodes/${node.metadata.name}`,
    );
    return (res.body?.status?.conditions ?? []).some(
      c => c.type === 'Ready' && c.status === 'True',
    );
  });
  fs.writeFileSync(readyFile, new Date().toISOString());
  say(`ready: ${client.url} (kubeconfig ${kubeconfig})`);
}

/** Applies the CRDs of one vendored file and waits until each is Established. */
async function applyCrds(client, file) {
  const { parseAllDocuments } = await import('yaml');
  const crds = parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map(doc => doc.toJSON())
    .filter(doc => doc?.kind === 'CustomResourceDefinition');
  for (const crd of crds) {
    await applyObject(client, crd);
    await waitFor(`CRD ${crd.metadata.name}`, 60_000, async () => {
      const res = await apiRequest(
        client,
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      return (res.body?.status?.conditions ?? []).some(
        c => c.type === 'Established' && c.status === 'True',
      );
    });
  }
  return crds.map(crd => crd.metadata.name);
}

main().catch(error => {
  say(`error: ${error.message}`);
  stopAll(1);
});
