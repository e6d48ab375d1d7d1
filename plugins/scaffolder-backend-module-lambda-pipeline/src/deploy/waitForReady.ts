import {
  conditionsOf,
  formatRef,
  KubeObject,
  KubernetesObjectClient,
  ObjectRef,
  Readiness,
  readinessOf,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import { LoggerService } from '@backstage/backend-plugin-api';

/** Readiness waits ended without every object ready. */
export class NotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotReadyError';
  }
}

export type WaitOptions = {
  /** Timeout of one object, by kind. */
  timeoutMsFor: (kind: string) => number;
  progressIntervalMs: number;
  pollIntervalMs?: number;
  logger: LoggerService;
  signal?: AbortSignal;
};

type Waiting = {
  ref: ObjectRef;
  deadline: number;
  readiness?: Readiness;
  object?: KubeObject;
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>(resolve => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/** The newest events about an object (and, for workloads, about its pods). */
async function recentEvents(
  client: KubernetesObjectClient,
  waiting: Waiting,
  limit = 5,
): Promise<string[]> {
  const { ref, object } = waiting;
  if (!ref.namespace) return [];
  const names = new Set([ref.name]);
  const selector = object?.spec?.selector?.matchLabels as
    | Record<string, string>
    | undefined;
  if (WORKLOADS.has(ref.kind) && selector && Object.keys(selector).length > 0) {
    const pods = await client.list('v1', 'Pod', {
      namespace: ref.namespace,
      labelSelector: Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    });
    pods.forEach(pod => names.add(pod.metadata.name));
  }
  const events = await client.list('v1', 'Event', { namespace: ref.namespace });
  const time = (e: KubeObject) =>
    String(
      e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '',
    );
  return events
    .filter(e => names.has(e.involvedObject?.name))
    .sort((a, b) => time(b).localeCompare(time(a)))
    .slice(0, limit)
    .map(e =>
      `${e.type ?? 'Normal'} ${e.reason ?? ''} (${e.involvedObject?.kind} ${
        e.involvedObject?.name
      }): ${e.message ?? ''}`.trim(),
    );
}

/** What a timeout or failure report says about one object. */
async function describeNotReady(
  client: KubernetesObjectClient,
  waiting: Waiting,
): Promise<string> {
  const lines = [
    `${formatRef(waiting.ref)}: ${waiting.readiness?.message ?? 'not found'}`,
  ];
  const conditions = waiting.object ? conditionsOf(waiting.object) : [];
  if (conditions.length > 0) {
    lines.push('  conditions:');
    for (const c of conditions) {
      lines.push(
        `    ${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}${
          c.message ? `: ${c.message}` : ''
        }`,
      );
    }
  } else if (waiting.object) {
    lines.push('  conditions: none reported');
  }
  try {
    const events = await recentEvents(client, waiting);
    if (events.length > 0) {
      lines.push('  recent events:', ...events.map(e => `    ${e}`));
    }
  } catch {
    // Events are a help, not a requirement.
  }
  return lines.join('\n');
}

/**
 * Waits until every object is ready by the rules of its kind (see
 * `readinessOf`); objects of kinds without a readiness rule count as ready
 * once applied. Logs progress at least every `progressIntervalMs`, fails as
 * soon as one object reports a failure, and on timeout names every object
 * that is not ready with its latest conditions and events.
 */
export async function waitForReady(
  client: KubernetesObjectClient,
  refs: ObjectRef[],
  options: WaitOptions,
): Promise<void> {
  const started = Date.now();
  const pending: Waiting[] = refs.map(ref => ({
    ref,
    deadline: started + options.timeoutMsFor(ref.kind),
  }));
  const total = pending.length;
  let lastProgress = started;
  const poll = options.pollIntervalMs ?? 1000;
  while (pending.length > 0) {
    if (options.signal?.aborted) {
      throw new NotReadyError(
        `Cancelled while waiting for ${pending.length} object(s) to become ready`,
      );
    }
    for (const waiting of [...pending]) {
      const object = await client.read(waiting.ref);
      waiting.object = object;
      const readiness = object ? readinessOf(object) : undefined;
      waiting.readiness = object
        ? readiness
        : {
            state: 'pending',
            message: 'does not exist (deleted by someone else?)',
          };
      if (object && (!readiness || readiness.state === 'ready')) {
        pending.splice(pending.indexOf(waiting), 1);
        options.logger.info(
          `Ready: ${formatRef(waiting.ref)}${
            readiness ? ` (${readiness.message})` : ''
          }`,
        );
      } else if (readiness?.state === 'failed') {
        throw new NotReadyError(
          `${formatRef(
            waiting.ref,
          )} failed; waiting longer will not help:\n${await describeNotReady(
            client,
            waiting,
          )}`,
        );
      }
    }
    if (pending.length === 0) break;
    const now = Date.now();
    const expired = pending.filter(w => now > w.deadline);
    if (expired.length > 0) {
      const details = await Promise.all(
        pending.map(w => describeNotReady(client, w)),
      );
      throw new NotReadyError(
        `Timed out after ${Math.round((now - started) / 1000)} s: ${expired
          .map(w => formatRef(w.ref))
          .join(', ')} not ready (timeout ${Math.round(
          options.timeoutMsFor(expired[0].ref.kind) / 1000,
        )} s for ${expired[0].ref.kind}).\n${details.join('\n')}`,
      );
    }
    if (now - lastProgress >= options.progressIntervalMs) {
      lastProgress = now;
      options.logger.info(
        `Waiting for ${pending.length} of ${total} object(s) (${Math.round(
          (now - started) / 1000,
        )} s): ${pending
          .map(
            w => `${formatRef(w.ref)} (${w.readiness?.message ?? 'unknown'})`,
          )
          .join('; ')}`,
      );
    }
    await sleep(
      Math.min(poll, Math.max(50, options.progressIntervalMs / 2)),
      options.signal,
    );
  }
}
