import { KubeObject } from '@internal/backstage-plugin-lambda-pipeline-node';
import yaml from 'yaml';
import {
  startTestCluster,
  TestCluster,
  uniqueSuffix,
} from '../__testUtils__/cluster';
import { startPipelineRenderBackend } from '../__testUtils__/render';
import { variants } from '../template/formVariants';

jest.setTimeout(10 * 60_000);

/**
 * The rendered RBAC of the platform repository on a real Kubernetes API
 * server (the stack's): applied to a namespace, then asked with
 * SubjectAccessReviews what the identities of the pipeline's pods may do.
 */
describe('rendered RBAC, asked of a real API server', () => {
  let cluster: TestCluster;
  let namespace: string;
  let plan: any;

  beforeAll(async () => {
    cluster = await startTestCluster();
    const backend = await startPipelineRenderBackend();
    const result = await backend
      .render({ ...variants[Object.keys(variants)[0]] })
      .finally(() => backend.stop());
    const common = await import(
      '@internal/backstage-plugin-lambda-pipeline-common'
    );
    plan = common.planPipeline(
      common.parsePipelineSpec(
        yaml.parse(
          result.files.find(f => f.path === 'platform/pipeline.yaml')!.content,
        ),
      ),
    );
    namespace = `lp-rbac-${uniqueSuffix()}`;
    await cluster.client.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'test' },
    );
    const objects: KubeObject[] = yaml
      .parseAllDocuments(
        result.files.find(
          f => f.path === 'platform/deploy/base/spark/rbac.yaml',
        )!.content,
      )
      .map(d => d.toJSON());
    for (const o of objects)
      await cluster.client.apply(
        { ...o, metadata: { ...o.metadata, namespace } },
        { fieldManager: 'test' },
      );
  });

  afterAll(async () => {
    if (namespace)
      await cluster.client.delete({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: namespace,
      });
  });

  const may = async (
    serviceAccount: string,
    verb: string,
    resource: { group: string; resource: string; namespace?: string },
  ) => {
    const review = await cluster.client.create({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: { name: '' },
      spec: {
        user: `system:serviceaccount:${namespace}:${serviceAccount}`,
        groups: [
          'system:serviceaccounts',
          `system:serviceaccounts:${namespace}`,
          'system:authenticated',
        ],
        resourceAttributes: {
          namespace: resource.namespace ?? namespace,
          verb,
          group: resource.group,
          resource: resource.resource,
        },
      },
    } as KubeObject);
    return Boolean((review as any).status?.allowed);
  };
  const sparkApplications = {
    group: 'sparkoperator.k8s.io',
    resource: 'sparkapplications',
  };

  it("lets Airflow's task pods submit, follow and clean up the batch SparkApplications (SparkKubernetesOperator)", async () => {
    const worker = plan.airflow.workerServiceAccount;
    expect(worker).toBe('airflow-worker');
    for (const verb of ['create', 'get', 'list', 'watch', 'patch', 'delete'])
      expect({
        verb,
        allowed: await may(worker, verb, sparkApplications),
      }).toEqual({ verb, allowed: true });
    expect(await may(worker, 'get', { group: '', resource: 'pods/log' })).toBe(
      true,
    );
  });

  it('grants nothing beyond that: not in another namespace, not Secrets, not to the Spark drivers', async () => {
    const worker = plan.airflow.workerServiceAccount;
    expect(
      await may(worker, 'create', {
        ...sparkApplications,
        namespace: 'default',
      }),
    ).toBe(false);
    expect(await may(worker, 'get', { group: '', resource: 'secrets' })).toBe(
      false,
    );
    // The drivers manage their executors' pods, and submit nothing.
    expect(await may('spark', 'create', { group: '', resource: 'pods' })).toBe(
      true,
    );
    expect(await may('spark', 'create', sparkApplications)).toBe(false);
  });
});
