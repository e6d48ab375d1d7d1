import {
  formatRef,
  KubeObject,
  KubernetesObjectClient,
  ObjectRef,
  refOf,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import { LoggerService } from '@backstage/backend-plugin-api';
import { RUN_LABEL } from './applyObject';
import { PHASES, phaseOf } from './phases';

export type RollbackResult = {
  /** Deleted, in the order they were deleted. */
  removed: ObjectRef[];
  /** Could not be deleted or did not go away in time, with why. */
  leftBehind: Array<{ ref: ObjectRef; reason: string }>;
};

const key = (r: ObjectRef) =>
  `${r.apiVersion}|${r.kind}|${r.namespace ?? ''}|${r.name}`;

/**
 * Deletes everything the run `runId` created, found by its label on the
 * kinds and namespaces of the manifests (so an object whose create
 * succeeded on the server but whose response was lost is found too).
 * Objects without the run's label existed before the run and are left
 * alone. Deletes in reverse apply order (workloads first, CRDs last) and
 * waits until they are gone.
 */
export async function rollback(
  client: KubernetesObjectClient,
  manifests: KubeObject[],
  options: { runId: string; logger: LoggerService; timeoutMs: number },
): Promise<RollbackResult> {
  const { runId, logger } = options;
  const found = new Map<string, KubeObject>();
  const kinds = new Map<
    string,
    { apiVersion: string; kind: string; namespaces: Set<string | undefined> }
  >();
  for (const object of manifests) {
    const k = `${object.apiVersion}|${object.kind}`;
    const entry = kinds.get(k) ?? {
      apiVersion: object.apiVersion,
      kind: object.kind,
      namespaces: new Set(),
    };
    entry.namespaces.add(object.metadata.namespace);
    kinds.set(k, entry);
  }
  const leftBehind: RollbackResult['leftBehind'] = [];
  for (const { apiVersion, kind, namespaces } of kinds.values()) {
    for (const namespace of namespaces) {
      try {
        const items = await client.list(apiVersion, kind, {
          namespace,
          labelSelector: `${RUN_LABEL}=${runId}`,
        });
        items.forEach(item => found.set(key(refOf(item)), item));
      } catch (error) {
        // The kind may be gone already (its CRD was rolled back) or never served.
        if ((error as { code?: number }).code !== 404) {
          leftBehind.push({
            ref: { apiVersion, kind, name: '*', namespace },
            reason: `could not list: ${(error as Error).message}`,
          });
        }
      }
    }
  }
  const order = (o: KubeObject) => PHASES.findIndex(p => p.id === phaseOf(o));
  const victims = [...found.values()]
    .filter(o => o.metadata.labels?.[RUN_LABEL] === runId)
    .sort((a, b) => order(b) - order(a));
  if (victims.length === 0) {
    logger.info('Rollback: this run created nothing, so nothing is deleted.');
    return { removed: [], leftBehind };
  }
  logger.info(
    `Rollback: deleting the ${victims.length} object(s) this run created; objects that existed before are left alone.`,
  );
  const removed: ObjectRef[] = [];
  for (const victim of victims) {
    const ref = refOf(victim);
    try {
      await client.delete(ref, { uid: victim.metadata.uid });
      const deadline = Date.now() + options.timeoutMs;
      while (await client.read(ref).catch(() => undefined)) {
        if (Date.now() > deadline)
          throw new Error(`still present after ${options.timeoutMs / 1000} s`);
        await new Promise(resolve => setTimeout(resolve, 250));
      }
      removed.push(ref);
      logger.info(`Rollback: deleted ${formatRef(ref)}`);
    } catch (error) {
      leftBehind.push({ ref, reason: (error as Error).message });
      logger.warn(
        `Rollback: could not delete ${formatRef(ref)}: ${
          (error as Error).message
        }`,
      );
    }
  }
  return { removed, leftBehind };
}
