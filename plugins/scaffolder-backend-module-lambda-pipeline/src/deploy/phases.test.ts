import { KubeObject } from '@internal/backstage-plugin-lambda-pipeline-node';
import { byPhase, phaseOf } from './phases';

const o = (
  apiVersion: string,
  kind: string,
  metadata: Partial<KubeObject['metadata']> = {},
): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: kind.toLowerCase(), ...metadata },
});

describe('deploy phases', () => {
  it('puts every kind of the pipeline in dependency order', () => {
    const objects = [
      o('apps/v1', 'StatefulSet'),
      o('kafka.strimzi.io/v1', 'Kafka'),
      o('v1', 'Secret'),
      o('v1', 'Namespace'),
      o('sparkoperator.k8s.io/v1beta2', 'SparkApplication'),
      o('rbac.authorization.k8s.io/v1', 'RoleBinding'),
      o('apiextensions.k8s.io/v1', 'CustomResourceDefinition'),
      o('apps/v1', 'Deployment', {
        name: 'strimzi-cluster-operator',
        labels: { 'app.kubernetes.io/component': 'operator' },
      }),
      o('networking.k8s.io/v1', 'NetworkPolicy'),
      o('bitnami.com/v1alpha1', 'SealedSecret'),
    ];
    expect(
      byPhase(objects.map(object => ({ object }))).map(g => [
        g.phase.id,
        g.items.map(i => i.object.kind),
      ]),
    ).toEqual([
      ['crds', ['CustomResourceDefinition']],
      ['namespaces', ['Namespace']],
      ['config', ['Secret', 'RoleBinding', 'NetworkPolicy']],
      ['operators', ['Deployment']],
      ['custom-resources', ['Kafka', 'SparkApplication', 'SealedSecret']],
      ['workloads', ['StatefulSet']],
    ]);
  });

  it('lets an annotation move an object, and does not mistake a CRD group ending in k8s.io for a built-in one', () => {
    expect(
      phaseOf(
        o('apps/v1', 'Deployment', {
          annotations: { 'lambda-pipelines.io/deploy-phase': 'operators' },
        }),
      ),
    ).toBe('operators');
    expect(phaseOf(o('sparkoperator.k8s.io/v1beta2', 'SparkApplication'))).toBe(
      'custom-resources',
    );
    expect(phaseOf(o('storage.k8s.io/v1', 'StorageClass'))).toBe('config');
  });
});
