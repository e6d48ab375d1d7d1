import {
  formatMiB,
  parseMemoryMiB,
  parseQuantity,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import {
  KubeObject,
  KubernetesApiError,
  KubernetesObjectClient,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import yaml from 'yaml';
import { KUBERNETES_CLUSTER_KEY } from '../config';
import { groupOf, isBuiltInKind } from './phases';

export type PreflightCheck = {
  id:
    | 'cluster'
    | 'permissions'
    | 'memory'
    | 'storage-class'
    | 'registry'
    | 'crds'
    | 'operators';
  /** `warning`: the deploy can go ahead, but something will likely not become ready. */
  status: 'ok' | 'failed' | 'warning' | 'skipped';
  /** What was found, or what is wrong and what to do. */
  message: string;
};

export type PreflightOptions = {
  client: KubernetesObjectClient;
  clusterName: string;
  server: string;
  /** The rendered objects (for the CRD check). */
  objects: KubeObject[];
  /** `spec.resources.memoryBudget`, e.g. `16Gi`. */
  memoryBudget: string;
  /** host[:port] from config; else the cluster's local-registry-hosting ConfigMap. */
  registry?: string;
  /** How the budget is called in the form, for messages. */
  budgetField?: string;
  fetchTimeoutMs?: number;
};

const ok = (id: PreflightCheck['id'], message: string): PreflightCheck => ({
  id,
  status: 'ok',
  message,
});
const failed = (id: PreflightCheck['id'], message: string): PreflightCheck => ({
  id,
  status: 'failed',
  message,
});

async function checkReachable(o: PreflightOptions): Promise<PreflightCheck> {
  try {
    const version = await o.client.get<{ gitVersion?: string }>('/version');
    return ok(
      'cluster',
      `cluster '${o.clusterName}' at ${o.server} answers (Kubernetes ${
        version.gitVersion ?? 'unknown version'
      })`,
    );
  } catch (error) {
    const e = error as KubernetesApiError;
    if (e.code === 401 || e.code === 403) {
      return failed(
        'cluster',
        `cluster '${o.clusterName}' at ${o.server} refused the credentials (HTTP ${e.code}): check the token or kubeconfig in ${KUBERNETES_CLUSTER_KEY}.`,
      );
    }
    return failed(
      'cluster',
      `cannot reach cluster '${o.clusterName}' at ${o.server}: ${e.message}. Start the cluster (kind get clusters; ` +
        `the platform repo's scripts/up.sh creates it) or point ${KUBERNETES_CLUSTER_KEY} at a running one.`,
    );
  }
}

async function checkPermissions(o: PreflightOptions): Promise<PreflightCheck> {
  const wanted = [
    { verb: 'create', resource: 'namespaces', group: '' },
    { verb: 'patch', resource: 'statefulsets', group: 'apps' },
    ...(o.objects.some(x => x.kind === 'CustomResourceDefinition')
      ? [
          {
            verb: 'create',
            resource: 'customresourcedefinitions',
            group: 'apiextensions.k8s.io',
          },
        ]
      : []),
  ];
  const denied: string[] = [];
  for (const w of wanted) {
    const review = await o.client.create({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: { name: '' },
      spec: {
        resourceAttributes: {
          verb: w.verb,
          resource: w.resource,
          group: w.group,
        },
      },
    });
    if (!review.status?.allowed) denied.push(`${w.verb} ${w.resource}`);
  }
  return denied.length === 0
    ? ok(
        'permissions',
        `allowed to ${wanted.map(w => `${w.verb} ${w.resource}`).join(', ')}`,
      )
    : failed(
        'permissions',
        `the configured credentials may not ${denied.join(
          ', ',
        )}: bind them to a role that allows it (cluster-admin on a local kind cluster).`,
      );
}

const isSchedulable = (node: KubeObject) =>
  !node.spec?.unschedulable &&
  (node.status?.conditions ?? []).some(
    (c: any) => c.type === 'Ready' && c.status === 'True',
  ) &&
  !(node.spec?.taints ?? []).some(
    (t: any) =>
      t.effect === 'NoSchedule' &&
      t.key !== 'node-role.kubernetes.io/control-plane',
  );

async function checkMemory(o: PreflightOptions): Promise<PreflightCheck> {
  const budgetMiB = parseMemoryMiB(o.memoryBudget);
  const nodes = (await o.client.list('v1', 'Node')).filter(isSchedulable);
  const field = o.budgetField ?? 'spec.resources.memoryBudget';
  if (nodes.length === 0) {
    return failed(
      'memory',
      'the cluster has no Ready, schedulable node: wait until the kind node is Ready (kubectl get nodes) and try again.',
    );
  }
  const perNode = nodes.map(n => ({
    name: n.metadata.name,
    mib: parseQuantity(String(n.status?.allocatable?.memory ?? '0')) / 2 ** 20,
  }));
  const totalMiB = perNode.reduce((sum, n) => sum + n.mib, 0);
  const detail = perNode.map(n => `${n.name}: ${formatMiB(n.mib)}`).join(', ');
  if (totalMiB < budgetMiB) {
    return failed(
      'memory',
      `the cluster's nodes offer ${formatMiB(
        totalMiB,
      )} of allocatable memory (${detail}), less than the pipeline's memory budget of ` +
        `${o.memoryBudget} (${field}), so its pods would not all fit. Give the kind node more memory (Docker Desktop: Settings > Resources > ` +
        `Memory, or .wslconfig on WSL 2) or lower the budget to at most ${formatMiB(
          totalMiB,
        )}.`,
    );
  }
  return ok(
    'memory',
    `${formatMiB(totalMiB)} allocatable (${detail}) covers the budget of ${
      o.memoryBudget
    }`,
  );
}

async function checkStorageClass(o: PreflightOptions): Promise<PreflightCheck> {
  const classes = await o.client.list('storage.k8s.io/v1', 'StorageClass');
  const isDefault = (sc: KubeObject) =>
    [
      'storageclass.kubernetes.io/is-default-class',
      'storageclass.beta.kubernetes.io/is-default-class',
    ].some(a => sc.metadata.annotations?.[a] === 'true');
  const defaults = classes.filter(isDefault);
  if (defaults.length === 0) {
    return failed(
      'storage-class',
      `no default StorageClass${
        classes.length > 0
          ? ` (there are: ${classes.map(c => c.metadata.name).join(', ')})`
          : ''
      }: the volumes of ` +
        `PostgreSQL, ClickHouse and Kafka would stay Pending. kind ships 'standard'; mark one as default: kubectl annotate storageclass ` +
        `<name> storageclass.kubernetes.io/is-default-class=true`,
    );
  }
  return ok(
    'storage-class',
    `default StorageClass '${defaults[0].metadata.name}' (${defaults[0].provisioner})`,
  );
}

async function registryHost(
  o: PreflightOptions,
): Promise<{ host?: string; from: string }> {
  if (o.registry)
    return { host: o.registry, from: `${KUBERNETES_CLUSTER_KEY}.registry` };
  const hosting = await o.client.read({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: 'kube-public',
    name: 'local-registry-hosting',
  });
  const doc = hosting?.data?.['localRegistryHosting.v1'];
  const host = doc ? (yaml.parse(doc)?.host as string | undefined) : undefined;
  return { host, from: 'ConfigMap kube-public/local-registry-hosting' };
}

/** `fetch failed` says little: add the codes of its causes (ECONNREFUSED...). */
function describeFetchError(error: unknown): string {
  const parts: string[] = [];
  const visit = (e: any, depth: number) => {
    if (!e || depth > 4) return;
    const part = e.code ?? e.message;
    if (part && !parts.includes(part)) parts.push(String(part));
    if (Array.isArray(e.errors))
      e.errors.forEach((x: unknown) => visit(x, depth + 1));
    visit(e.cause, depth + 1);
  };
  visit(error, 0);
  return parts.join(': ') || String(error);
}

async function checkRegistry(o: PreflightOptions): Promise<PreflightCheck> {
  const { host, from } = await registryHost(o);
  if (!host) {
    return failed(
      'registry',
      `no local image registry is known: the Kafka Connect image is built into it. Create it and tell the cluster (the platform repo's ` +
        `scripts/up.sh does both; kind/local-registry-hosting.yaml is the ConfigMap), or set ${KUBERNETES_CLUSTER_KEY}.registry.`,
    );
  }
  const url = `http://${host}/v2/`;
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(o.fetchTimeoutMs ?? 5000),
    });
    // 401 is a registry asking for credentials: it answers.
    if (response.status === 200 || response.status === 401) {
      const api = response.headers.get('docker-distribution-api-version');
      return ok(
        'registry',
        `local registry ${host} (from ${from}) answers${
          api ? ` (${api})` : ''
        }`,
      );
    }
    return failed(
      'registry',
      `${url} (from ${from}) answered HTTP ${response.status}, not a registry's /v2/: check what listens on ${host}.`,
    );
  } catch (error) {
    return failed(
      'registry',
      `the local registry ${host} (from ${from}) does not answer (${describeFetchError(
        error,
      )}): ` +
        "start it (the platform repo's scripts/up.sh runs it as the container kind-registry).",
    );
  }
}

async function checkCrds(o: PreflightOptions): Promise<PreflightCheck> {
  const shipped = new Set(
    o.objects
      .filter(x => x.kind === 'CustomResourceDefinition')
      .map(crd => `${crd.spec?.group}/${crd.spec?.names?.kind}`),
  );
  const kinds = new Map<string, string>();
  for (const x of o.objects) {
    if (!isBuiltInKind(x))
      kinds.set(`${groupOf(x.apiVersion)}/${x.kind}`, x.apiVersion);
  }
  const served: string[] = [];
  const toInstall: string[] = [];
  const missing: string[] = [];
  for (const [key, apiVersion] of kinds) {
    const kind = key.split('/')[1];
    if (await o.client.resource(apiVersion, kind)) served.push(kind);
    else if (shipped.has(key)) toInstall.push(kind);
    else missing.push(`${kind} (${apiVersion})`);
  }
  if (missing.length > 0) {
    return failed(
      'crds',
      missing.length === 1
        ? `the cluster does not serve ${missing[0]} and the manifests carry no CRD for it: install its operator first ` +
            `(the platform repo's scripts/up.sh does) or add its CRD to the manifests.`
        : `the cluster does not serve ${missing.join(
            ', ',
          )} and the manifests carry no CRDs for them: install their operators first ` +
            `(the platform repo's scripts/up.sh does) or add the CRDs to the manifests.`,
    );
  }
  const parts = [
    served.length > 0 ? `present: ${served.join(', ')}` : '',
    toInstall.length > 0
      ? `installed by the deploy: ${toInstall.join(', ')}`
      : '',
  ].filter(Boolean);
  return ok(
    'crds',
    parts.length > 0
      ? parts.join('; ')
      : 'no custom resources in the manifests',
  );
}

/**
 * The operators that make the pipeline's custom resources ready, recognised
 * by the image of a running container (the same whether installed by Helm,
 * OLM or plain manifests).
 */
const OPERATORS: Array<{
  group: string;
  name: string;
  image: RegExp;
  install: string;
}> = [
  {
    group: 'kafka.strimzi.io',
    name: 'Strimzi',
    image: /strimzi\/operator/,
    install:
      'helm upgrade --install strimzi oci://quay.io/strimzi-helm/strimzi-kafka-operator',
  },
  {
    group: 'sparkoperator.k8s.io',
    name: 'Spark operator',
    image: /spark-operator/,
    install:
      'helm upgrade --install spark-operator spark-operator --repo https://kubeflow.github.io/spark-operator',
  },
  {
    group: 'monitoring.coreos.com',
    name: 'Prometheus operator',
    image: /prometheus-operator\/prometheus-operator|prometheus-operator:/,
    install:
      'helm upgrade --install monitoring kube-prometheus-stack --repo https://prometheus-community.github.io/helm-charts',
  },
  {
    group: 'bitnami.com',
    name: 'Sealed Secrets controller',
    image: /sealed-secrets-controller|sealed-secrets/,
    install:
      'helm upgrade --install sealed-secrets sealed-secrets --repo https://bitnami-labs.github.io/sealed-secrets',
  },
];

/**
 * Without its operator, a custom resource never becomes ready and the
 * deploy would wait until it times out. Only a warning: an operator may run
 * outside the cluster or under an image this check does not know.
 */
async function checkOperators(o: PreflightOptions): Promise<PreflightCheck> {
  const groups = new Set(
    o.objects
      .filter(x => !isBuiltInKind(x) && x.kind !== 'CustomResourceDefinition')
      .map(x => groupOf(x.apiVersion)),
  );
  const wanted = OPERATORS.filter(op => groups.has(op.group));
  if (wanted.length === 0)
    return ok('operators', 'no custom resources that need an operator');
  const deployments = await o.client.list('apps/v1', 'Deployment');
  const running = (op: (typeof OPERATORS)[number]) =>
    deployments.find(
      d =>
        (d.status?.availableReplicas ?? 0) > 0 &&
        (d.spec?.template?.spec?.containers ?? []).some(
          (c: { image?: string }) => op.image.test(c.image ?? ''),
        ),
    );
  const found = wanted.map(op => ({ op, deployment: running(op) }));
  const missing = found.filter(f => !f.deployment);
  const present = found
    .filter(f => f.deployment)
    .map(
      f =>
        `${f.op.name} (${f.deployment!.metadata.namespace}/${
          f.deployment!.metadata.name
        })`,
    );
  if (missing.length === 0)
    return ok('operators', `running: ${present.join(', ')}`);
  return {
    id: 'operators',
    status: 'warning',
    message:
      `no running ${missing
        .map(m => `${m.op.name} (for ${m.op.group})`)
        .join(', ')} found: their resources will not become ready ` +
      `and the deploy will wait until it times out. Install them first (the platform repo's scripts/up.sh does: ` +
      `${missing.map(m => m.op.install).join('; ')})${
        present.length > 0 ? `; running: ${present.join(', ')}` : ''
      }.`,
  };
}

/**
 * Checks that a cluster can take a pipeline before anything is applied.
 * Every check runs (one failure does not hide the next), except that an
 * unreachable cluster skips the rest.
 */
export async function runPreflight(
  o: PreflightOptions,
): Promise<PreflightCheck[]> {
  const reach = await checkReachable(o);
  const rest: Array<
    [PreflightCheck['id'], (o: PreflightOptions) => Promise<PreflightCheck>]
  > = [
    ['permissions', checkPermissions],
    ['memory', checkMemory],
    ['storage-class', checkStorageClass],
    ['registry', checkRegistry],
    ['crds', checkCrds],
    ['operators', checkOperators],
  ];
  if (reach.status !== 'ok') {
    return [
      reach,
      ...rest.map(([id]) => ({
        id,
        status: 'skipped' as const,
        message: 'not checked: the cluster is not reachable',
      })),
    ];
  }
  const checks = [reach];
  for (const [id, check] of rest) {
    try {
      checks.push(await check(o));
    } catch (error) {
      checks.push(failed(id, `could not check: ${(error as Error).message}`));
    }
  }
  return checks;
}
