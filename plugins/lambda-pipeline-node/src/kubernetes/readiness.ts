import type { KubeObject } from './objects';

/** A `status.conditions[]` entry. */
export type Condition = {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
};

/**
 * Where an object stands, judged from what its controller wrote in `status`
 * (never "it exists, so it is healthy"):
 * - `ready`: the controller reports it done for the current generation;
 * - `pending`: not yet, with what it is waiting for;
 * - `failed`: the controller reports a state that waiting will not fix.
 */
export type Readiness = {
  state: 'ready' | 'pending' | 'failed';
  message: string;
};

export const conditionsOf = (object: KubeObject): Condition[] =>
  Array.isArray(object.status?.conditions) ? object.status.conditions : [];

const condition = (object: KubeObject, type: string) =>
  conditionsOf(object).find(c => c.type === type);

const isTrue = (object: KubeObject, type: string) =>
  condition(object, type)?.status === 'True';

const describe = (c: Condition | undefined) =>
  c ? [c.reason, c.message].filter(Boolean).join(': ') : '';

const ready = (message: string): Readiness => ({ state: 'ready', message });
const pending = (message: string): Readiness => ({ state: 'pending', message });
const failed = (message: string): Readiness => ({ state: 'failed', message });

/** The controller has not looked at the newest spec yet. */
function staleGeneration(object: KubeObject): Readiness | undefined {
  const generation = object.metadata.generation;
  const observed = object.status?.observedGeneration;
  if (
    generation !== undefined &&
    (observed === undefined || observed < generation)
  ) {
    return pending(
      observed === undefined
        ? 'not observed by its controller yet'
        : `controller has seen generation ${observed} of ${generation}`,
    );
  }
  return undefined;
}

function deployment(object: KubeObject): Readiness {
  const progressing = condition(object, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return failed(`rollout stalled: ${describe(progressing)}`);
  }
  const stale = staleGeneration(object);
  if (stale) return stale;
  const want = object.spec?.replicas ?? 1;
  const s = object.status ?? {};
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  if (updated < want || available < want || (s.replicas ?? 0) > want) {
    return pending(
      `${available}/${want} available, ${updated}/${want} updated`,
    );
  }
  return ready(`${available}/${want} available`);
}

function statefulSet(object: KubeObject): Readiness {
  const stale = staleGeneration(object);
  if (stale) return stale;
  const want = object.spec?.replicas ?? 1;
  const s = object.status ?? {};
  const readyReplicas = s.readyReplicas ?? 0;
  const available = s.availableReplicas ?? readyReplicas;
  if (readyReplicas < want || available < want) {
    return pending(`${readyReplicas}/${want} ready`);
  }
  const rolling =
    (object.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  if (rolling && s.updateRevision && s.currentRevision !== s.updateRevision) {
    return pending(
      `rolling update in progress (${
        s.updatedReplicas ?? 0
      }/${want} on revision ${s.updateRevision})`,
    );
  }
  return ready(`${readyReplicas}/${want} ready`);
}

function daemonSet(object: KubeObject): Readiness {
  const stale = staleGeneration(object);
  if (stale) return stale;
  const s = object.status ?? {};
  const want = s.desiredNumberScheduled ?? 0;
  if ((s.numberReady ?? 0) < want || (s.updatedNumberScheduled ?? 0) < want) {
    return pending(`${s.numberReady ?? 0}/${want} ready`);
  }
  return ready(`${s.numberReady ?? 0}/${want} ready`);
}

function job(object: KubeObject): Readiness {
  if (isTrue(object, 'Failed'))
    return failed(`job failed: ${describe(condition(object, 'Failed'))}`);
  if (isTrue(object, 'Complete')) return ready('completed');
  return pending(
    `${object.status?.succeeded ?? 0} succeeded, ${
      object.status?.active ?? 0
    } active`,
  );
}

function pod(object: KubeObject): Readiness {
  const phase = object.status?.phase;
  if (phase === 'Succeeded') return ready('succeeded');
  if (phase === 'Failed')
    return failed(
      `pod failed: ${object.status?.reason ?? ''} ${
        object.status?.message ?? ''
      }`.trim(),
    );
  const waiting = (object.status?.containerStatuses ?? [])
    .map((c: any) => c.state?.waiting)
    .find(
      (w: any) =>
        w &&
        /CrashLoopBackOff|ImagePullBackOff|ErrImagePull|CreateContainerConfigError/.test(
          w.reason ?? '',
        ),
    );
  if (waiting)
    return pending(`${waiting.reason}: ${waiting.message ?? ''}`.trim());
  if (isTrue(object, 'Ready')) return ready('running and ready');
  const scheduled = condition(object, 'PodScheduled');
  if (scheduled?.status === 'False')
    return pending(`not scheduled: ${describe(scheduled)}`);
  return pending(`phase ${phase ?? 'unknown'}`);
}

/** Strimzi: the operator's Ready condition for the current generation. */
const STRIMZI_FAILURES =
  /InvalidResourceException|InvalidConfigParameterException|InvalidConfigurationException|UnsupportedVersionException/;

function strimzi(object: KubeObject): Readiness {
  const stale = staleGeneration(object);
  if (stale) return stale;
  if (object.kind === 'KafkaConnector') {
    const state = object.status?.connectorStatus?.connector?.state;
    if (state === 'FAILED') {
      return failed(
        `connector FAILED: ${
          String(object.status?.connectorStatus?.connector?.trace ?? '').split(
            '\n',
          )[0]
        }`,
      );
    }
    const failedTask = (object.status?.connectorStatus?.tasks ?? []).find(
      (t: any) => t.state === 'FAILED',
    );
    if (failedTask) {
      return failed(
        `task ${failedTask.id} FAILED: ${
          String(failedTask.trace ?? '').split('\n')[0]
        }`,
      );
    }
  }
  if (isTrue(object, 'Ready')) return ready('Ready');
  const notReady = condition(object, 'NotReady');
  if (notReady?.status === 'True') {
    const reason = describe(notReady);
    return STRIMZI_FAILURES.test(notReady.reason ?? '')
      ? failed(reason)
      : pending(`NotReady: ${reason}`);
  }
  // Node pools report no Ready condition of their own.
  if (object.kind === 'KafkaNodePool') return ready('observed by the operator');
  return pending('no Ready condition yet');
}

/** Spark operator: `status.applicationState.state`. */
function sparkApplication(object: KubeObject): Readiness {
  const state: string | undefined = object.status?.applicationState?.state;
  const error = object.status?.applicationState?.errorMessage;
  switch (state) {
    case 'RUNNING':
    case 'COMPLETED':
      return ready(state);
    case 'FAILED':
    case 'SUBMISSION_FAILED':
      return failed(`${state}${error ? `: ${error}` : ''}`);
    default:
      return pending(state ? `state ${state}` : 'not submitted yet');
  }
}

function customResourceDefinition(object: KubeObject): Readiness {
  const names = condition(object, 'NamesAccepted');
  if (names?.status === 'False')
    return failed(`names not accepted: ${describe(names)}`);
  if (isTrue(object, 'Established')) return ready('Established');
  return pending('not Established yet');
}

function namespace(object: KubeObject): Readiness {
  const phase = object.status?.phase;
  if (phase === 'Active') return ready('Active');
  return pending(
    phase === 'Terminating'
      ? 'being deleted (Terminating)'
      : `phase ${phase ?? 'unknown'}`,
  );
}

const RULES: Record<string, (object: KubeObject) => Readiness> = {
  'apiextensions.k8s.io/CustomResourceDefinition': customResourceDefinition,
  '/Namespace': namespace,
  'apps/Deployment': deployment,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'batch/Job': job,
  '/Pod': pod,
  'kafka.strimzi.io/Kafka': strimzi,
  'kafka.strimzi.io/KafkaConnect': strimzi,
  'kafka.strimzi.io/KafkaConnector': strimzi,
  'kafka.strimzi.io/KafkaTopic': strimzi,
  'kafka.strimzi.io/KafkaNodePool': strimzi,
  'kafka.strimzi.io/KafkaMirrorMaker2': strimzi,
  'sparkoperator.k8s.io/SparkApplication': sparkApplication,
};

const groupOf = (apiVersion: string) =>
  apiVersion.includes('/') ? apiVersion.split('/')[0] : '';

/** Whether {@link readinessOf} knows how to judge this kind. */
export function hasReadiness(
  object: Pick<KubeObject, 'apiVersion' | 'kind'>,
): boolean {
  return Boolean(RULES[`${groupOf(object.apiVersion)}/${object.kind}`]);
}

/**
 * Readiness of an object by the rules of its kind; for other kinds that
 * report a `Ready` condition (the common convention), that condition;
 * undefined for kinds with nothing to wait for (ConfigMaps, Services...).
 */
export function readinessOf(object: KubeObject): Readiness | undefined {
  const rule = RULES[`${groupOf(object.apiVersion)}/${object.kind}`];
  if (rule) return rule(object);
  const readyCondition = condition(object, 'Ready');
  if (readyCondition) {
    const stale = staleGeneration(object);
    if (stale && object.status?.observedGeneration !== undefined) return stale;
    return readyCondition.status === 'True'
      ? ready('Ready')
      : pending(
          `Ready=${readyCondition.status}${
            describe(readyCondition) ? `: ${describe(readyCondition)}` : ''
          }`,
        );
  }
  return undefined;
}
