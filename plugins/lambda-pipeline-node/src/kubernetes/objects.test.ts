import crypto from 'crypto';
import { stackUp } from '../testUtils';
import { loadKubeConfig } from './kubeConfig';
import {
  createKubernetesObjectClient,
  formatRef,
  KubeObject,
  KubernetesObjectClient,
} from './objects';
import { KubernetesApiError } from './errors';

jest.setTimeout(20 * 60_000);

/** The object client against the stack's real Kubernetes API server. */
describe('KubernetesObjectClient (real API server)', () => {
  let client: KubernetesObjectClient;
  const suffix = crypto.randomBytes(3).toString('hex');
  const group = `t${suffix}.lambda-pipelines.io`;
  const namespace = `objects-${suffix}`;
  const crd: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `gadgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: {
        plural: 'gadgets',
        singular: 'gadget',
        kind: 'Gadget',
        listKind: 'GadgetList',
      },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    // The two extensions the library's model serializer drops.
                    port: { 'x-kubernetes-int-or-string': true },
                    config: {
                      type: 'object',
                      'x-kubernetes-preserve-unknown-fields': true,
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };

  beforeAll(async () => {
    const env = stackUp(['kubernetes']);
    client = await createKubernetesObjectClient(
      await loadKubeConfig({
        kubeconfigPath: env.LP_KUBECONFIG,
        context: env.LP_KUBE_CONTEXT,
      }),
    );
  });

  afterAll(async () => {
    await client?.delete({
      apiVersion: 'v1',
      kind: 'Namespace',
      name: namespace,
    });
    await client?.delete({
      apiVersion: crd.apiVersion,
      kind: crd.kind,
      name: crd.metadata.name,
    });
  });

  it('applies a CRD with its x-kubernetes extensions intact, and then serves its kind', async () => {
    expect(await client.resource(`${group}/v1`, 'Gadget')).toBeUndefined();
    await client.apply(crd, { fieldManager: 'lp-test' });
    const live = await client.read({
      apiVersion: crd.apiVersion,
      kind: crd.kind,
      name: crd.metadata.name,
    });
    const props =
      live!.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties;
    expect(props.port).toEqual({ 'x-kubernetes-int-or-string': true });
    expect(props.config['x-kubernetes-preserve-unknown-fields']).toBe(true);
    for (
      let i = 0;
      i < 100 && !(await client.resource(`${group}/v1`, 'Gadget'));
      i++
    ) {
      await new Promise(r => setTimeout(r, 100));
    }
    expect(await client.resource(`${group}/v1`, 'Gadget')).toEqual({
      name: 'gadgets',
      namespaced: true,
    });
  });

  it('server-side applies, dry-runs, reads, lists and deletes custom resources', async () => {
    await client.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'lp-test' },
    );
    const gadget: KubeObject = {
      apiVersion: `${group}/v1`,
      kind: 'Gadget',
      metadata: { name: 'g1', namespace, labels: { run: suffix } },
      spec: { port: 'http', config: { anything: { nested: [1, 2] } } },
    };
    const preview = await client.apply(gadget, {
      fieldManager: 'lp-test',
      dryRun: true,
    });
    expect(preview.spec).toEqual(gadget.spec);
    expect(
      await client.read({
        apiVersion: gadget.apiVersion,
        kind: 'Gadget',
        name: 'g1',
        namespace,
      }),
    ).toBeUndefined();

    const created = await client.apply(gadget, { fieldManager: 'lp-test' });
    expect(created.metadata.uid).toBeTruthy();
    const again = await client.apply(gadget, { fieldManager: 'lp-test' });
    expect(again.metadata.resourceVersion).toBe(
      created.metadata.resourceVersion,
    );

    const listed = await client.list(gadget.apiVersion, 'Gadget', {
      namespace,
      labelSelector: `run=${suffix}`,
    });
    expect(listed.map(formatRef)).toEqual([`Gadget ${namespace}/g1`]);

    // A delete guarded by another incarnation's uid is refused.
    await expect(
      client.delete(
        {
          apiVersion: gadget.apiVersion,
          kind: 'Gadget',
          name: 'g1',
          namespace,
        },
        { uid: '00000000-0000-0000-0000-000000000000' },
      ),
    ).rejects.toMatchObject({ code: 409 });
    expect(
      await client.delete(
        {
          apiVersion: gadget.apiVersion,
          kind: 'Gadget',
          name: 'g1',
          namespace,
        },
        { uid: created.metadata.uid },
      ),
    ).toBe(true);
    expect(
      await client.delete({
        apiVersion: gadget.apiVersion,
        kind: 'Gadget',
        name: 'g1',
        namespace,
      }),
    ).toBe(false);
  });

  it("reports the server's reason and causes for an invalid object", async () => {
    const error: KubernetesApiError = await client
      .apply(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'Not_A_Valid_Name', namespace },
          data: {},
        },
        { fieldManager: 'lp-test' },
      )
      .catch(e => e);
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error.code).toBe(422);
    expect(error.reason).toBe('Invalid');
    expect(error.message).toMatch(/Not_A_Valid_Name/);
    expect(error.causes[0].field).toBe('metadata.name');
  });

  it('names an unreachable cluster', async () => {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name: 'gone', server: 'https://127.0.0.1:1', skipTLSVerify: true },
      ],
      users: [{ name: 'u', token: 'x' }],
      contexts: [{ name: 'gone', cluster: 'gone', user: 'u' }],
      currentContext: 'gone',
    });
    const gone = await createKubernetesObjectClient(kc);
    await expect(gone.get('/version')).rejects.toMatchObject({
      reason: 'Unreachable',
    });
  });
});
