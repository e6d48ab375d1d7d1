import { KubeObject } from '@internal/backstage-plugin-lambda-pipeline-node';

/**
 * The order objects are applied in. Each phase is applied, then waited on
 * where later phases depend on it: CRDs must be Established before custom
 * resources can be created, namespaces must exist before what lives in
 * them, and operators must run before their custom resources can become
 * ready. Custom resources and workloads are waited on together at the end,
 * because they depend on each other at run time (the speed job needs
 * ClickHouse, the connectors need PostgreSQL).
 */
export const PHASES = [
  { id: 'crds', title: 'custom resource definitions', waitAfter: true },
  { id: 'namespaces', title: 'namespaces', waitAfter: true },
  {
    id: 'config',
    title: 'service accounts, RBAC, secrets, config and services',
    waitAfter: false,
  },
  { id: 'operators', title: 'operators', waitAfter: true },
  { id: 'custom-resources', title: 'custom resources', waitAfter: false },
  { id: 'workloads', title: 'workloads', waitAfter: true },
] as const;

export type PhaseId = (typeof PHASES)[number]['id'];

/** Overrides the phase of one object (e.g. an operator Deployment). */
export const PHASE_ANNOTATION = 'lambda-pipelines.io/deploy-phase';

/** API groups served by Kubernetes itself; everything else comes from a CRD or an aggregated API. */
const BUILT_IN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'rbac.authorization.k8s.io',
  'networking.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
  'coordination.k8s.io',
  'certificates.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'events.k8s.io',
  'resource.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'internal.apiserver.k8s.io',
  'storagemigration.k8s.io',
]);

const WORKLOAD_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
]);

export const groupOf = (apiVersion: string) =>
  apiVersion.includes('/') ? apiVersion.split('/')[0] : '';

export const isBuiltInKind = (object: Pick<KubeObject, 'apiVersion'>) =>
  BUILT_IN_GROUPS.has(groupOf(object.apiVersion));

const isPhase = (value: string | undefined): value is PhaseId =>
  PHASES.some(p => p.id === value);

/**
 * The phase of an object. Operators are workloads labelled
 * `app.kubernetes.io/component: operator` (the convention of operator charts)
 * or annotated `lambda-pipelines.io/deploy-phase: operators`.
 */
export function phaseOf(object: KubeObject): PhaseId {
  const override = object.metadata.annotations?.[PHASE_ANNOTATION];
  if (isPhase(override)) return override;
  if (object.kind === 'CustomResourceDefinition') return 'crds';
  if (object.kind === 'Namespace' && groupOf(object.apiVersion) === '') {
    return 'namespaces';
  }
  if (!isBuiltInKind(object)) return 'custom-resources';
  if (WORKLOAD_KINDS.has(object.kind)) {
    return object.metadata.labels?.['app.kubernetes.io/component'] ===
      'operator'
      ? 'operators'
      : 'workloads';
  }
  return 'config';
}

/** Objects grouped by phase, in phase order, keeping their order within a phase. */
export function byPhase<T extends { object: KubeObject }>(
  items: T[],
): Array<{ phase: (typeof PHASES)[number]; items: T[] }> {
  return PHASES.map(phase => ({
    phase,
    items: items.filter(item => phaseOf(item.object) === phase.id),
  })).filter(group => group.items.length > 0);
}
