import {
  Condition,
  conditionsOf,
  Readiness,
  readinessOf,
} from '../kubernetes/readiness';
import {
  createKubernetesObjectClient,
  KubeObject,
  KubernetesObjectClient,
} from '../kubernetes/objects';
import { kubeConfigForCluster } from '../kubernetes/kubeConfig';
import { ClientCache, PipelineEnvironments, withTimeout } from './common';

/** A custom resource or workload of the pipeline, as its controller reports it. */
export type ResourceStatus = {
  kind: string;
  name: string;
  readiness: Readiness;
  conditions: Condition[];
  /** Strimzi KafkaConnector auto-restarts (`status.autoRestart.count`). */
  autoRestarts?: number;
};

export type PodStatus = {
  name: string;
  phase: string;
  ready: boolean;
  restarts: number;
  /** Why a container waits or last terminated (CrashLoopBackOff, OOMKilled...). */
  reason?: string;
};

export type NamespaceStatus = {
  namespace: string;
  resources: ResourceStatus[];
  pods: PodStatus[];
  /** Kinds the cluster does not serve (their operator or CRD is not installed). */
  notServed: string[];
};

/** The pipeline's objects in Kubernetes: real `status` written by the operators and kubelets. */
export interface KubernetesProbe {
  namespaceStatus(
    environment: string,
    namespace: string,
  ): Promise<NamespaceStatus>;
}

const KINDS: Array<[string, string]> = [
  ['kafka.strimzi.io/v1', 'Kafka'],
  ['kafka.strimzi.io/v1', 'KafkaNodePool'],
  ['kafka.strimzi.io/v1', 'KafkaConnect'],
  ['kafka.strimzi.io/v1', 'KafkaConnector'],
  ['sparkoperator.k8s.io/v1beta2', 'SparkApplication'],
  ['apps/v1', 'StatefulSet'],
  ['apps/v1', 'Deployment'],
];

function podStatus(pod: KubeObject): PodStatus {
  const containers: any[] = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  const reason = containers
    .map(c => c.state?.waiting?.reason ?? c.lastState?.terminated?.reason)
    .find(Boolean);
  return {
    name: pod.metadata.name,
    phase: pod.status?.phase ?? 'Unknown',
    ready: conditionsOf(pod).some(
      c => c.type === 'Ready' && c.status === 'True',
    ),
    restarts: containers.reduce((sum, c) => sum + (c.restartCount ?? 0), 0),
    ...(reason ? { reason } : {}),
  };
}

export class KubernetesApiProbe implements KubernetesProbe {
  private readonly clients: ClientCache<KubernetesObjectClient>;

  constructor(
    private readonly environments: PipelineEnvironments,
    private readonly options: { timeoutMs: number },
  ) {
    this.clients = new ClientCache(async environment =>
      createKubernetesObjectClient(
        await kubeConfigForCluster(
          this.environments.settings(environment, 'kubernetes'),
        ),
      ),
    );
  }

  async namespaceStatus(
    environment: string,
    namespace: string,
  ): Promise<NamespaceStatus> {
    const s = this.environments.settings(environment, 'kubernetes');
    return withTimeout(
      'kubernetes',
      `Kubernetes (${environment}) cluster ${s.name}`,
      this.options.timeoutMs,
      async () => {
        const client = await this.clients.get(environment);
        const notServed: string[] = [];
        const lists = await Promise.all(
          KINDS.map(async ([apiVersion, kind]) => {
            if (!(await client.resource(apiVersion, kind))) {
              notServed.push(kind);
              return [];
            }
            return client.list(apiVersion, kind, { namespace });
          }),
        );
        const resources: ResourceStatus[] = lists.flat().map(object => ({
          kind: object.kind,
          name: object.metadata.name,
          readiness: readinessOf(object) ?? {
            state: 'ready',
            message: 'exists',
          },
          conditions: conditionsOf(object),
          ...(object.status?.autoRestart?.count !== undefined
            ? { autoRestarts: object.status.autoRestart.count }
            : {}),
        }));
        const pods = (await client.list('v1', 'Pod', { namespace })).map(
          podStatus,
        );
        return { namespace, resources, pods, notServed };
      },
    );
  }
}
