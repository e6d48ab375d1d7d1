import {
  createKubernetesObjectClient,
  KubeObject,
} from '../kubernetes/objects';
import { loadKubeConfig } from '../kubernetes/kubeConfig';
import { stackEnvironment, stackUp } from '../testUtils';
import { PipelineEnvironments } from './common';
import { KubernetesApiProbe } from './kubernetes';

jest.setTimeout(10 * 60_000);

/**
 * Operator status of a pipeline's resources on the stack's real API server
 * (kwok plays the Strimzi and Spark operators and the kubelet).
 */
describe('KubernetesApiProbe (real API server)', () => {
  const namespace = `probe-${Date.now().toString(36)}`;
  let probe: KubernetesApiProbe;
  let apply: (o: KubeObject) => Promise<unknown>;
  let remove: () => Promise<unknown>;

  beforeAll(async () => {
    const env = stackUp(['kubernetes']);
    probe = new KubernetesApiProbe(
      PipelineEnvironments.of([stackEnvironment(env)]),
      { timeoutMs: 10_000 },
    );
    const client = await createKubernetesObjectClient(
      await loadKubeConfig({
        kubeconfigPath: env.LP_KUBECONFIG,
        context: env.LP_KUBE_CONTEXT,
      }),
    );
    apply = o => client.apply(o, { fieldManager: 'probe-test' });
    remove = () =>
      client.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    await apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
    await apply({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaConnector',
      metadata: {
        name: 'orders-cdc',
        namespace,
        labels: { 'strimzi.io/cluster': 'orders-connect' },
      },
      spec: {
        class: 'io.debezium.connector.postgresql.PostgresConnector',
        tasksMax: 1,
      },
    });
    await apply({
      apiVersion: 'sparkoperator.k8s.io/v1beta2',
      kind: 'SparkApplication',
      metadata: {
        name: 'orders-speed',
        namespace,
        annotations: {
          'kwok.lambda-pipelines.io/not-ready':
            'image orders-spark:1 not found in the registry',
        },
      },
      spec: {
        type: 'Python',
        mode: 'cluster',
        sparkVersion: '4.0.0',
        mainApplicationFile: 'local:///opt/jobs/speed_job.py',
        driver: {},
        executor: {},
      },
    });
    await apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.29' }] },
        },
      },
    });
  });

  afterAll(async () => {
    await remove?.();
  });

  it("reads each resource's real status: a Ready connector, a SparkApplication that failed to submit, pods", async () => {
    // Controllers take a moment: wait until none of the objects is still pending.
    let status = await probe.namespaceStatus('dev', namespace);
    for (
      let i = 0;
      i < 120 &&
      (status.pods.length === 0 ||
        status.resources.some(r => r.readiness.state === 'pending'));
      i++
    ) {
      await new Promise(r => setTimeout(r, 500));
      status = await probe.namespaceStatus('dev', namespace);
    }
    const byName = new Map(
      status.resources.map(r => [`${r.kind}/${r.name}`, r]),
    );
    expect(byName.get('KafkaConnector/orders-cdc')).toMatchObject({
      readiness: { state: 'ready', message: 'Ready' },
    });
    expect(byName.get('SparkApplication/orders-speed')).toMatchObject({
      readiness: {
        state: 'failed',
        message:
          'SUBMISSION_FAILED: image orders-spark:1 not found in the registry',
      },
    });
    expect(byName.get('Deployment/web')?.readiness.state).toBe('ready');
    expect(status.pods).toEqual([
      expect.objectContaining({ phase: 'Running', ready: true, restarts: 0 }),
    ]);
    expect(status.notServed).toEqual([]);
  });
});
