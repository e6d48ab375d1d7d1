// The stack's Kubernetes API server: what the deploy actions rely on works
// as on a real cluster (controllers, scheduling, volumes, deletion) and the
// simulated node and operators report status as the real ones would.
import { api, apply } from './kube';
import { waitFor } from './support';

describe('kubernetes (etcd, kube-apiserver, controller manager, scheduler, kwok)', () => {
  const ns = `stack-test-${process.pid}`;

  afterAll(async () => {
    await api('DELETE', `/api/v1/namespaces/${ns}`);
  });

  it('is the pinned Kubernetes version, with one Ready node of the configured size', async () => {
    expect((await api('GET', '/version')).body.gitVersion).toBe('v1.36.5');
    // kwok's node; the real one (kubeNode.test.ts) may be up alongside.
    const nodes = (await api('GET', '/api/v1/nodes')).body.items.filter(
      (n: any) => n.metadata.annotations?.['kwok.x-k8s.io/node'] === 'fake',
    );
    expect(nodes.map((n: any) => n.metadata.name)).toEqual([
      process.env.LP_KUBE_NODE,
    ]);
    expect(nodes[0].status.allocatable.memory).toBe(
      process.env.LP_KUBE_NODE_MEMORY,
    );
    expect(
      nodes[0].status.conditions.find((c: any) => c.type === 'Ready').status,
    ).toBe('True');
  });

  it('has a default StorageClass, the vendored CRDs and the local registry advertised', async () => {
    const classes = (await api('GET', '/apis/storage.k8s.io/v1/storageclasses'))
      .body.items;
    expect(
      classes
        .filter(
          (c: any) =>
            c.metadata.annotations?.[
              'storageclass.kubernetes.io/is-default-class'
            ] === 'true',
        )
        .map((c: any) => c.metadata.name),
    ).toEqual(['standard']);
    const crds = (
      await api(
        'GET',
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      )
    ).body.items.map((c: any) => c.metadata.name);
    expect(crds).toEqual(
      expect.arrayContaining([
        'kafkas.kafka.strimzi.io',
        'sparkapplications.sparkoperator.k8s.io',
        'sealedsecrets.bitnami.com',
      ]),
    );
    const hosting = (
      await api(
        'GET',
        '/api/v1/namespaces/kube-public/configmaps/local-registry-hosting',
      )
    ).body;
    expect(hosting.data['localRegistryHosting.v1']).toContain(
      `host: "localhost:${process.env.LP_REGISTRY!.split(':')[1]}"`,
    );
    const registry = await fetch(`http://${process.env.LP_REGISTRY}/v2/`);
    expect(registry.status).toBe(200);
    expect(registry.headers.get('docker-distribution-api-version')).toBe(
      'registry/2.0',
    );
  });

  it('runs a StatefulSet with a volume to Ready, and deletes a namespace with everything in it', async () => {
    expect(
      (
        await apply(`/api/v1/namespaces/${ns}`, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: ns },
        })
      ).status,
    ).toBe(201);
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: ns },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: {
            containers: [
              {
                name: 'db',
                image: 'postgres:15',
                resources: { requests: { memory: '1Gi' } },
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: '1Gi' } },
            },
          },
        ],
      },
    };
    expect(
      (await apply(`/apis/apps/v1/namespaces/${ns}/statefulsets/db`, sts))
        .status,
    ).toBe(201);
    const status = await waitFor('the StatefulSet to be ready', async () => {
      const s = (
        await api('GET', `/apis/apps/v1/namespaces/${ns}/statefulsets/db`)
      ).body.status;
      return s?.readyReplicas === 1 ? s : undefined;
    });
    expect(status.availableReplicas).toBe(1);
    const pvc = (
      await api(
        'GET',
        `/api/v1/namespaces/${ns}/persistentvolumeclaims/data-db-0`,
      )
    ).body;
    expect([pvc.spec.storageClassName, pvc.status.phase]).toEqual([
      'standard',
      'Bound',
    ]);

    expect((await api('DELETE', `/api/v1/namespaces/${ns}`)).status).toBe(200);
    await waitFor(
      'the namespace to be gone',
      async () =>
        (await api('GET', `/api/v1/namespaces/${ns}`)).status === 404
          ? true
          : undefined,
      90_000,
    );
  });

  it('plays the operators: Strimzi resources become Ready, or report NotReady when annotated so, and SparkApplications run', async () => {
    const other = `${ns}-cr`;
    await apply(`/api/v1/namespaces/${other}`, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: other },
    });
    try {
      const topic = (name: string, annotations = {}) => ({
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaTopic',
        metadata: {
          name,
          namespace: other,
          labels: { 'strimzi.io/cluster': 'k' },
          annotations,
        },
        spec: { partitions: 1, replicas: 1 },
      });
      await apply(
        `/apis/kafka.strimzi.io/v1/namespaces/${other}/kafkatopics/ok`,
        topic('ok'),
      );
      await apply(
        `/apis/kafka.strimzi.io/v1/namespaces/${other}/kafkatopics/stuck`,
        topic('stuck', {
          'kwok.lambda-pipelines.io/not-ready': 'cluster k not found',
        }),
      );
      const conditions = (name: string) =>
        waitFor(
          `KafkaTopic ${name} status`,
          async () =>
            (
              await api(
                'GET',
                `/apis/kafka.strimzi.io/v1/namespaces/${other}/kafkatopics/${name}`,
              )
            ).body.status,
        );
      expect(await conditions('ok')).toMatchObject({
        observedGeneration: 1,
        conditions: [{ type: 'Ready', status: 'True' }],
      });
      expect(await conditions('stuck')).toMatchObject({
        observedGeneration: 1,
        conditions: [
          {
            type: 'NotReady',
            status: 'True',
            reason: 'Simulated',
            message: 'cluster k not found',
          },
        ],
      });
      await apply(
        `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${other}/sparkapplications/speed`,
        {
          apiVersion: 'sparkoperator.k8s.io/v1beta2',
          kind: 'SparkApplication',
          metadata: { name: 'speed', namespace: other },
          spec: {
            type: 'Python',
            mode: 'cluster',
            sparkVersion: '4.0.0',
            mainApplicationFile: 'local:///opt/jobs/speed_job.py',
            driver: {},
            executor: {},
          },
        },
      );
      const state = await waitFor(
        'SparkApplication state',
        async () =>
          (
            await api(
              'GET',
              `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${other}/sparkapplications/speed`,
            )
          ).body.status?.applicationState?.state,
      );
      expect(state).toBe('RUNNING');
    } finally {
      await api('DELETE', `/api/v1/namespaces/${other}`);
    }
  });
});
