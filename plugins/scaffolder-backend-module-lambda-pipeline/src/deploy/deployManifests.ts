import {
  formatRef,
  KubeObject,
  KubernetesApiError,
  KubernetesObjectClient,
  ObjectRef,
  refOf,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { KubernetesDeployConfig } from '../config';
import { AppliedObject, applyObject } from './applyObject';
import { normalizeSecret } from './secrets';
import { Manifest } from './manifests';
import { byPhase, groupOf, PHASE_ANNOTATION, PHASES } from './phases';
import { rollback, RollbackResult } from './rollback';
import { waitForReady } from './waitForReady';

/** `ctx.checkpoint` of the scaffolder, narrowed to what the deploy stores. */
export type Checkpoint = (
  key: string,
  fn: () => Promise<AppliedObject>,
) => Promise<AppliedObject>;

export type DeployOptions = {
  client: KubernetesObjectClient;
  manifests: Manifest[];
  /** Namespace of namespaced objects that name none. */
  defaultNamespace: string;
  /** Id of this run (the task id): labels what it creates. */
  runId: string;
  dryRun: boolean;
  /** Wait for readiness (ignored in a dry run). */
  wait: boolean;
  config: KubernetesDeployConfig;
  /** Overrides `config.waitTimeoutSeconds` for every kind. */
  timeoutSeconds?: number;
  logger: LoggerService;
  checkpoint: Checkpoint;
  signal?: AbortSignal;
};

export type DeployResult = {
  objects: AppliedObject[];
  counts: Record<AppliedObject['action'], number>;
};

/** A deploy that failed; says whether and what was rolled back. */
export class DeployError extends Error {
  constructor(message: string, readonly rolledBack?: RollbackResult) {
    super(message);
    this.name = 'DeployError';
  }
}

const keyOf = (r: ObjectRef) =>
  `${groupOf(r.apiVersion)}/${r.kind}/${r.namespace ?? ''}/${r.name}`;

/** Scope of every kind, from the CRDs in the manifests or from the cluster's discovery. */
async function resolveNamespaces(
  client: KubernetesObjectClient,
  manifests: Manifest[],
  defaultNamespace: string,
): Promise<KubeObject[]> {
  const crdScopes = new Map<string, boolean>();
  for (const { object } of manifests) {
    if (object.kind === 'CustomResourceDefinition') {
      crdScopes.set(
        `${object.spec?.group}/${object.spec?.names?.kind}`,
        object.spec?.scope !== 'Cluster',
      );
    }
  }
  const out: KubeObject[] = [];
  const seen = new Map<string, string>();
  for (const { object, source } of manifests) {
    const copy = structuredClone(object);
    const fromCrd = crdScopes.get(
      `${groupOf(object.apiVersion)}/${object.kind}`,
    );
    const namespaced =
      fromCrd ??
      (await client.resource(object.apiVersion, object.kind))?.namespaced;
    if (namespaced === undefined) {
      throw new InputError(
        `${source}: the cluster does not serve ${object.kind} (${object.apiVersion}) and the manifests carry no CRD for it; ` +
          `install its operator or add its CustomResourceDefinition to the manifests.`,
      );
    }
    if (namespaced) copy.metadata.namespace ??= defaultNamespace;
    else delete copy.metadata.namespace;
    const phase = copy.metadata.annotations?.[PHASE_ANNOTATION];
    if (phase !== undefined && !PHASES.some(p => p.id === phase)) {
      throw new InputError(
        `${source}: annotation ${PHASE_ANNOTATION}: '${phase}' is not a deploy phase; use one of ${PHASES.map(
          p => p.id,
        ).join(', ')}.`,
      );
    }
    const key = keyOf(refOf(copy));
    if (seen.has(key)) {
      throw new InputError(
        `${formatRef(copy)} is defined twice (${seen.get(
          key,
        )} and ${source}); keep one.`,
      );
    }
    seen.set(key, source);
    out.push(copy);
  }
  return out;
}

/** Retries while the cluster's discovery has not caught up with a CRD applied moments ago. */
async function withDiscoveryRetry<T>(
  fn: () => Promise<T>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      const e = error as KubernetesApiError;
      if (
        !(e.code === 404 && /does not serve/.test(e.message)) ||
        Date.now() >= deadline
      )
        throw error;
      await new Promise(resolve => setTimeout(resolve, 500));
    }
  }
}

/** Where objects of a namespace that does not exist yet are dry-run instead. */
const STAND_IN_NAMESPACE = 'default';
/** Checked against the stand-in namespace, RBAC objects would be judged without their Roles. */
const NOT_CHECKABLE_ELSEWHERE = new Set(['Role', 'RoleBinding']);

/**
 * The dry run of an object whose namespace or kind this deploy would create
 * first, so that the server cannot dry-run it where it belongs (and it
 * cannot exist yet). An object of a new namespace is dry-run in the
 * `default` namespace instead, so the server still validates it (schema,
 * defaults, admission); an object of a new kind cannot be checked at all.
 */
async function previewWithoutTarget(
  client: KubernetesObjectClient,
  object: KubeObject,
  missing: 'namespace' | 'kind',
  fieldManager: string,
): Promise<AppliedObject> {
  const ref = refOf(object);
  const base = {
    ref,
    action: 'created' as const,
    createdByRun: false,
    changedFields: [],
  };
  if (missing === 'kind') {
    return {
      ...base,
      note: 'its CRD is created by this deploy, so the server cannot check it yet',
    };
  }
  const standIn = await client.read({
    apiVersion: 'v1',
    kind: 'Namespace',
    name: STAND_IN_NAMESPACE,
  });
  if (!standIn || NOT_CHECKABLE_ELSEWHERE.has(object.kind)) {
    return {
      ...base,
      note: `namespace ${ref.namespace} is created by this deploy, so the server cannot check it yet`,
    };
  }
  const elsewhere = normalizeSecret(structuredClone(object));
  elsewhere.metadata.namespace = STAND_IN_NAMESPACE;
  try {
    await client.apply(elsewhere, { fieldManager, dryRun: true, force: true });
  } catch (error) {
    const e = error as KubernetesApiError;
    throw new KubernetesApiError({
      code: e.code,
      reason: e.reason,
      causes: e.causes,
      message: `${formatRef(
        ref,
      )} (dry-run in namespace ${STAND_IN_NAMESPACE}, since ${
        ref.namespace
      } does not exist yet): ${e.message}`,
    });
  }
  return {
    ...base,
    note: `namespace ${ref.namespace} does not exist yet: checked by the server in namespace ${STAND_IN_NAMESPACE} instead`,
  };
}

/**
 * Applies manifests in dependency order with server-side apply (see
 * `PHASES`), waits for readiness, and rolls back what this run created if
 * anything fails. In a dry run, every object goes through the server's
 * dry-run and nothing is persisted.
 */
export async function deployManifests(
  options: DeployOptions,
): Promise<DeployResult> {
  const { client, logger, dryRun, config } = options;
  const objects = await resolveNamespaces(
    client,
    options.manifests,
    options.defaultNamespace,
  );
  const timeoutMsFor = (kind: string) =>
    1000 *
    (options.timeoutSeconds ??
      config.waitTimeoutSecondsByKind[kind] ??
      config.waitTimeoutSeconds);
  const results: AppliedObject[] = [];
  const createdNamespaces = new Set<string>();
  const createdKinds = new Set<string>();
  /** Why the server cannot dry-run an object as it is: its namespace or kind does not exist yet. */
  const createdByThisDeploy = (ref: ObjectRef) => {
    if (ref.namespace && createdNamespaces.has(ref.namespace))
      return 'namespace';
    if (createdKinds.has(`${groupOf(ref.apiVersion)}/${ref.kind}`))
      return 'kind';
    return undefined;
  };
  const verb = (action: AppliedObject['action']) =>
    dryRun && action !== 'unchanged' ? `would be ${action}` : action;
  try {
    const groups = byPhase(objects.map(object => ({ object })));
    let toWaitFor: ObjectRef[] = [];
    for (const [index, { phase, items }] of groups.entries()) {
      logger.info(
        `Phase ${index + 1}/${groups.length}: ${phase.title} (${items.length})${
          dryRun ? ', dry run' : ''
        }`,
      );
      for (const { object } of items) {
        const ref = refOf(object);
        const missing = dryRun ? createdByThisDeploy(ref) : undefined;
        const result: AppliedObject = missing
          ? await previewWithoutTarget(
              client,
              object,
              missing,
              config.fieldManager,
            )
          : await options.checkpoint(`apply.${keyOf(ref)}`, () =>
              withDiscoveryRetry(
                () =>
                  applyObject(client, object, {
                    fieldManager: config.fieldManager,
                    runId: options.runId,
                    dryRun,
                  }),
                dryRun ? 0 : 30_000,
              ),
            );
        results.push(result);
        if (result.action === 'created' && object.kind === 'Namespace')
          createdNamespaces.add(ref.name);
        if (
          result.action === 'created' &&
          object.kind === 'CustomResourceDefinition'
        ) {
          createdKinds.add(`${object.spec?.group}/${object.spec?.names?.kind}`);
        }
        const fields =
          result.changedFields.length > 0
            ? ` (${result.changedFields.join(', ')})`
            : '';
        const note = result.note ? ` (${result.note})` : '';
        logger.info(
          `${verb(result.action)}: ${formatRef(ref)}${fields}${note}`,
        );
        toWaitFor.push(ref);
      }
      if (phase.waitAfter && options.wait && !dryRun) {
        await waitForReady(client, toWaitFor, {
          timeoutMsFor,
          progressIntervalMs: config.progressIntervalSeconds * 1000,
          logger,
          signal: options.signal,
        });
        toWaitFor = [];
      }
    }
  } catch (error) {
    const message = (error as Error).message;
    if (dryRun) throw new DeployError(`Dry run failed: ${message}`);
    logger.error(
      `Deploy failed (${
        message.split('\n')[0]
      }); rolling back what this run created.`,
    );
    const rolledBack = await rollback(client, objects, {
      runId: options.runId,
      logger,
      timeoutMs: 180_000,
    });
    const removed = rolledBack.removed.map(formatRef);
    const kept = results.filter(r => !r.createdByRun).length;
    throw new DeployError(
      `Deploy failed: ${message}\nRolled back: ${
        removed.length > 0
          ? `deleted ${
              removed.length
            } object(s) this run created (${removed.join(', ')})`
          : 'this run had created nothing'
      }; ${kept} object(s) that existed before were left as they were.${
        rolledBack.leftBehind.length > 0
          ? ` Could not remove: ${rolledBack.leftBehind
              .map(l => `${formatRef(l.ref)} (${l.reason})`)
              .join(', ')}.`
          : ''
      }`,
      rolledBack,
    );
  }
  const counts = { created: 0, configured: 0, unchanged: 0 };
  results.forEach(r => counts[r.action]++);
  if (counts.created + counts.configured === 0) {
    logger.info(
      `No changes: all ${
        results.length
      } objects are already as the manifests say${dryRun ? ' (dry run)' : ''}.`,
    );
  } else {
    logger.info(
      `${dryRun ? 'Dry run: would create' : 'Deployed: created'} ${
        counts.created
      }, ${dryRun ? 'would change' : 'changed'} ${counts.configured}, ${
        counts.unchanged
      } unchanged, of ${results.length} objects.`,
    );
  }
  return { objects: results, counts };
}
