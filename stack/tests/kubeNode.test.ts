// The stack's real node (stack/components/kube-node.mjs): pods run as real
// containers (containerd, runc, the CNI bridge) pulled from the stack's
// registry under the generated manifests' registry name, with their limits
// enforced, the API server reachable through the `kubernetes` Service
// (kube-proxy) and by name (CoreDNS), logs served by the kubelet,
// NetworkPolicies enforced (kube-router), volumes provisioned
// (local-path-provisioner), and failures reported as a real kubelet reports
// them. Then `down` leaves the host as it found it.
//
// The node is started only when named: this test brings it up and down.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { stackCli } from './cliRunner';
import { api, apply } from './kube';
import { waitFor } from './support';

/** What the kubelet and the bridge plugin are known to change. */
const KNOWN_SYSCTLS = [
  'kernel/panic',
  'kernel/panic_on_oops',
  'vm/overcommit_memory',
  'net/ipv4/ip_forward',
];
/** The programs of the node and of its system pods. */
const NODE_PROGRAMS = [
  'containerd',
  'containerd-shim-runc-v2',
  'kubelet',
  'kube-proxy',
  'kube-router',
  'catatonit',
  'coredns',
];
const sysctls = (keys: string[]) =>
  Object.fromEntries(
    keys.map(key => [key, fs.readFileSync(`/proc/sys/${key}`, 'utf8').trim()]),
  );
const stackEnv = () => JSON.parse(stackCli(['env', '--json']));
/** The KUBE-* and CNI-* chains in every table (iptables-save prints `:NAME`). */
const ownChains = () =>
  ['iptables-save', 'ip6tables-save'].flatMap(tool =>
    (spawnSync(tool, [], { encoding: 'utf8' }).stdout ?? '')
      .split('\n')
      .filter(line => /^:(KUBE-|CNI-)/.test(line)),
  );

describe('kube-node (kubelet, kube-proxy, containerd, CNI)', () => {
  const ns = `node-test-${process.pid}`;
  let env: Record<string, string>;
  /** The host's kernel settings before the node (its own record of them). */
  let before: Record<string, string>;
  let tablesBefore: string[];
  let absentDirs: string[];
  let image: string;
  let nodeName: string;

  beforeAll(async () => {
    const wasUp = Boolean(stackEnv().LP_KUBE_REAL_NODE);
    const measured = sysctls(KNOWN_SYSCTLS);
    stackCli(['up', 'kube-node']);
    env = stackEnv();
    const record = JSON.parse(
      fs.readFileSync(env.LP_KUBE_NODE_HOST_STATE, 'utf8'),
    );
    before = record.sysctls;
    tablesBefore = record.nftTables;
    absentDirs = record.absentDirs;
    // The record is what the host had, not what the node set.
    if (!wasUp) expect(before).toMatchObject(measured);
    // The stack's Debian image, pushed to the stack's registry; pods name it
    // as the generated manifests do (kind-registry:5000/...).
    const tag = env.LP_DEBIAN_IMAGE.split(':').pop();
    execFileSync(env.LP_PODMAN, [
      'push',
      '--quiet',
      '--tls-verify=false',
      env.LP_DEBIAN_IMAGE,
      `${env.LP_REGISTRY}/lp-stack-test/debian:${tag}`,
    ]);
    image = `kind-registry:5000/lp-stack-test/debian:${tag}`;
    nodeName = env.LP_KUBE_REAL_NODE;
    await apply(`/api/v1/namespaces/${ns}`, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
  }, 900_000);

  afterAll(async () => {
    await api('DELETE', `/api/v1/namespaces/${ns}`);
    if (env?.LP_KUBE_REAL_NODE) stackCli(['down', 'kube-node']);
  }, 300_000);

  const pod = (name: string, script: string, containerImage = image) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: {
      restartPolicy: 'Never',
      nodeSelector: { 'kubernetes.io/hostname': nodeName },
      tolerations: [
        {
          key: env.LP_KUBE_REAL_NODE_TAINT.split('=')[0],
          operator: 'Exists',
        },
      ],
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'main',
          image: containerImage,
          command: ['/bin/bash', '-c', script],
          resources: {
            requests: { memory: '64Mi', cpu: '50m' },
            limits: { memory: '64Mi', cpu: '250m' },
          },
        },
      ],
    },
  });
  const podPath = (name: string) => `/api/v1/namespaces/${ns}/pods/${name}`;
  const create = async (object: any) =>
    expect((await apply(podPath(object.metadata.name), object)).status).toBe(
      201,
    );
  const finished = (name: string, timeoutMs = 180_000) =>
    waitFor(
      `pod ${name} to finish`,
      async () => {
        const p = (await api('GET', podPath(name))).body;
        return ['Succeeded', 'Failed'].includes(p.status?.phase)
          ? p
          : undefined;
      },
      timeoutMs,
      1000,
    );

  it('registers a Ready node with the pinned kubelet, containerd and the pods range', async () => {
    const node = (await api('GET', `/api/v1/nodes/${nodeName}`)).body;
    expect(node.status.nodeInfo).toMatchObject({
      kubeletVersion: 'v1.36.5',
      containerRuntimeVersion: 'containerd://1.6.20',
    });
    expect(node.status.addresses).toContainEqual({
      type: 'InternalIP',
      address: env.LP_KUBE_REAL_NODE_IP,
    });
    expect(node.spec.podCIDR).toBe('10.244.0.0/24');
    expect(
      node.status.conditions.find((c: any) => c.type === 'Ready').status,
    ).toBe('True');
  });

  it('runs a pod from the registry: bridge address, enforced limit, the API through its Service and by name, logs from the kubelet', async () => {
    await create(
      pod(
        'probe',
        [
          'set -e',
          'echo "ip=$(hostname -i)"',
          'echo "memory.limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"',
          // TCP to the kubernetes Service: kube-proxy's DNAT to the node's
          // forward of the API server.
          'exec 3<>"/dev/tcp/$KUBERNETES_SERVICE_HOST/$KUBERNETES_SERVICE_PORT"',
          'echo "api=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT reachable"',
          'test -s /var/run/secrets/kubernetes.io/serviceaccount/token && echo token=mounted',
          // The cluster DNS (CoreDNS behind kube-dns) names the Service.
          'echo "dns=$(getent hosts kubernetes.default | cut -d" " -f1)"',
        ].join('\n'),
      ),
    );
    const done = await finished('probe');
    expect(done.status.phase).toBe('Succeeded');
    expect(done.status.podIP).toMatch(/^10\.244\.0\.\d+$/);
    const log = (await api('GET', `${podPath('probe')}/log`)).body;
    expect(log).toContain(`ip=${done.status.podIP}`);
    expect(log).toContain(`memory.limit=${64 * 1024 * 1024}`);
    expect(log).toContain('api=10.96.0.1:443 reachable');
    expect(log).toContain('token=mounted');
    expect(log).toContain('dns=10.96.0.1');
  });

  it('reports an OOM-killed container and an image that cannot be pulled as the kubelet does', async () => {
    // ~150 MB in a shell variable, against a 64 MiB limit.
    await create(
      pod('hog', 'x=$(head -c 150000000 /dev/zero | tr "\\0" a); echo ${#x}'),
    );
    await create(
      pod('absent', 'true', 'kind-registry:5000/lp-stack-test/absent:1'),
    );
    const hog = await finished('hog');
    expect(hog.status.containerStatuses[0].state.terminated).toMatchObject({
      reason: 'OOMKilled',
      exitCode: 137,
    });
    const waiting = await waitFor(
      'the pull to fail',
      async () => {
        const p = (await api('GET', podPath('absent'))).body;
        const state = p.status?.containerStatuses?.[0]?.state?.waiting;
        return /ErrImagePull|ImagePullBackOff/.test(state?.reason ?? '')
          ? state
          : undefined;
      },
      120_000,
      1000,
    );
    expect(waiting.message).toContain('lp-stack-test/absent');
    const events = (
      await api(
        'GET',
        `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3Dabsent`,
      )
    ).body.items;
    expect(events.map((e: any) => e.reason)).toContain('Failed');
  });

  it('enforces NetworkPolicies: a pod the policy names connects, another does not', async () => {
    // The server: CoreDNS's image serving only its health endpoint.
    await apply(`/api/v1/namespaces/${ns}/configmaps/server`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'server', namespace: ns },
      data: { Corefile: '.:1053 {\n    health :8080\n}\n' },
    });
    const server = pod('server', '');
    Object.assign(server.metadata, { labels: { app: 'server' } });
    Object.assign(server.spec.containers[0], {
      image: env.LP_KUBE_NODE_COREDNS_IMAGE,
      command: undefined,
      args: ['-conf', '/etc/coredns/Corefile'],
      volumeMounts: [{ name: 'config', mountPath: '/etc/coredns' }],
    });
    Object.assign(server.spec, {
      volumes: [{ name: 'config', configMap: { name: 'server' } }],
    });
    await create(server);
    const serverIp = await waitFor(
      'the server to run',
      async () => {
        const p = (await api('GET', podPath('server'))).body;
        return p.status?.phase === 'Running' ? p.status.podIP : undefined;
      },
      120_000,
      1000,
    );
    /** Runs a client with `role` and says whether it reached the server. */
    const connects = async (name: string, role: string) => {
      const client = pod(
        name,
        `if timeout 5 bash -c 'exec 3<>/dev/tcp/${serverIp}/8080'; then echo result=open; else echo result=blocked; fi`,
      );
      Object.assign(client.metadata, { labels: { role } });
      await create(client);
      await finished(name);
      const log: string = (await api('GET', `${podPath(name)}/log`)).body;
      return /result=(\w+)/.exec(log)?.[1];
    };
    // Without a policy, both reach it: what blocks later is the policy.
    expect(await connects('before-allowed', 'allowed')).toBe('open');
    expect(await connects('before-other', 'other')).toBe('open');
    await apply(
      `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/server`,
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'server', namespace: ns },
        spec: {
          podSelector: { matchLabels: { app: 'server' } },
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [{ podSelector: { matchLabels: { role: 'allowed' } } }],
              ports: [{ protocol: 'TCP', port: 8080 }],
            },
          ],
        },
      },
    );
    // kube-router applies it within seconds of the change.
    let attempt = 0;
    await waitFor(
      'the policy to block the other pod',
      async () =>
        (await connects(`after-other-${attempt++}`, 'other')) === 'blocked'
          ? true
          : undefined,
      90_000,
      0,
    );
    expect(await connects('after-allowed', 'allowed')).toBe('open');
  }, 300_000);

  it('provisions volumes dynamically: data outlives its pod, and goes with its claim', async () => {
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: ns },
      spec: {
        storageClassName: env.LP_KUBE_NODE_STORAGE_CLASS,
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '64Mi' } },
      },
    };
    expect(
      (
        await apply(
          `/api/v1/namespaces/${ns}/persistentvolumeclaims/data`,
          claim,
        )
      ).status,
    ).toBe(201);
    const withVolume = (name: string, script: string) => {
      const p = pod(name, script);
      Object.assign(p.spec.containers[0], {
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      });
      Object.assign(p.spec, {
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
        ],
      });
      return p;
    };
    const proof = `proof-${process.pid}-${Date.now()}`;
    await create(withVolume('writer', `echo ${proof} > /data/proof`));
    expect((await finished('writer')).status.phase).toBe('Succeeded');
    expect((await api('DELETE', podPath('writer'))).status).toBe(200);
    await create(withVolume('reader', 'cat /data/proof'));
    expect((await finished('reader')).status.phase).toBe('Succeeded');
    expect((await api('GET', `${podPath('reader')}/log`)).body).toContain(
      proof,
    );
    // A real directory of the node, under its state directory.
    const bound = (
      await api('GET', `/api/v1/namespaces/${ns}/persistentvolumeclaims/data`)
    ).body;
    const volume = (
      await api('GET', `/api/v1/persistentvolumes/${bound.spec.volumeName}`)
    ).body;
    const dir = volume.spec.hostPath?.path ?? volume.spec.local?.path;
    expect(dir.startsWith(env.LP_KUBE_NODE_VOLUMES_DIR)).toBe(true);
    expect(fs.readFileSync(`${dir}/proof`, 'utf8').trim()).toBe(proof);
    // Deleting the claim deletes the volume and its directory (the
    // provisioner's teardown helper pod).
    await api('DELETE', podPath('reader'));
    await api('DELETE', `/api/v1/namespaces/${ns}/persistentvolumeclaims/data`);
    await waitFor(
      'the volume and its directory to go',
      async () =>
        (
          await api('GET', `/api/v1/persistentvolumes/${volume.metadata.name}`)
        ).status === 404 && !fs.existsSync(dir)
          ? true
          : undefined,
      120_000,
      1000,
    );
  }, 300_000);

  /** Nothing of the node is left on the host, and its settings are back. */
  async function expectHostRestored(dataDir: string) {
    expect(spawnSync('ip', ['link', 'show', 'lp-cni0']).status).not.toBe(0);
    expect(ownChains()).toEqual([]);
    const sets = execFileSync('ipset', ['list', '-n'], { encoding: 'utf8' })
      .split('\n')
      .filter(name => /^(KUBE-|kube-router-)/.test(name));
    expect(sets).toEqual([]);
    // No table left that iptables made for the node's rules.
    const tables = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })
      .split('\n')
      .map(line => line.replace(/^table /, '').trim())
      .filter(Boolean);
    expect(tables.filter(t => !tablesBefore.includes(t))).toEqual([]);
    expect(sysctls(Object.keys(before))).toEqual(before);
    expect(absentDirs.filter(dir => fs.existsSync(dir))).toEqual([]);
    const mounts = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter(line => line.includes(dataDir));
    expect(mounts).toEqual([]);
    const cgroups = fs.readdirSync('/sys/fs/cgroup').flatMap(controller => {
      const dir = `/sys/fs/cgroup/${controller}`;
      try {
        return fs
          .readdirSync(dir)
          .filter(name => name.startsWith('lp-stack-node-'))
          .map(name => `${dir}/${name}`);
      } catch {
        return [];
      }
    });
    expect(cgroups).toEqual([]);
    // containerd, its shims, the kubelet, kube-proxy, the pods' processes.
    const processes = fs
      .readdirSync('/proc')
      .filter(pid => /^\d+$/.test(pid))
      .filter(pid => {
        try {
          const program = fs
            .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
            .split('\0')[0]
            .split('/')
            .pop();
          return NODE_PROGRAMS.includes(program ?? '');
        } catch {
          return false;
        }
      });
    expect(processes).toEqual([]);
    expect((await api('GET', `/api/v1/nodes/${nodeName}`)).status).toBe(404);
  }

  it('leaves the host as it found it on down', async () => {
    const dataDir = env.LP_KUBE_NODE_DATA_DIR;
    stackCli(['down', 'kube-node']);
    await expectHostRestored(dataDir);
  }, 300_000);

  it('leaves the host as it found it after the node crashed, on the next down', async () => {
    stackCli(['up', 'kube-node']);
    env = stackEnv();
    await create(pod('sleeper', 'sleep 600'));
    await waitFor(
      'the pod to run',
      async () =>
        (await api('GET', podPath('sleeper'))).body.status?.phase === 'Running'
          ? true
          : undefined,
      120_000,
      1000,
    );
    // The supervisor dies without cleaning up: containerd, the kubelet,
    // kube-proxy and the pods keep running until `down` sweeps them.
    const supervisor = Number(
      fs.readFileSync(env.LP_KUBE_NODE_PID_FILE, 'utf8'),
    );
    process.kill(supervisor, 'SIGKILL');
    stackCli(['down', 'kube-node']);
    env.LP_KUBE_REAL_NODE = '';
    await expectHostRestored(env.LP_KUBE_NODE_DATA_DIR);
  }, 300_000);
});
