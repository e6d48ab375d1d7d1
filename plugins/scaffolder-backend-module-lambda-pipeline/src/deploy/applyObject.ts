import {
  formatRef,
  KubeObject,
  KubernetesApiError,
  KubernetesObjectClient,
  ObjectRef,
  refOf,
} from '@internal/backstage-plugin-lambda-pipeline-node';
import { normalizeSecret } from './secrets';

/**
 * Marks the objects a deploy run created (value: the run's id, i.e. the
 * scaffolder task id). Rollback deletes only objects carrying its own run's
 * id; objects that existed before a run never get the label from it.
 */
export const RUN_LABEL = 'lambda-pipelines.io/deploy-run';

export type ApplyAction = 'created' | 'configured' | 'unchanged';

/** What applying one object did (or, in a dry run, would do). No Secret data in here: it is stored in checkpoints. */
export type AppliedObject = {
  ref: ObjectRef;
  action: ApplyAction;
  uid?: string;
  resourceVersion?: string;
  /** This run created it, so rollback may delete it. */
  createdByRun: boolean;
  /** Paths of the fields that change (values are never reported). */
  changedFields: string[];
  /** Why the server could not check it (dry run only). */
  note?: string;
};

const VOLATILE_METADATA = [
  'managedFields',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'uid',
  'selfLink',
];

/** The object without what the server maintains by itself. */
function comparable(object: KubeObject): Record<string, unknown> {
  const {
    status: _status,
    metadata,
    ...rest
  } = JSON.parse(JSON.stringify(object));
  for (const key of VOLATILE_METADATA) delete metadata[key];
  return { ...rest, metadata };
}

/** Paths that differ between two JSON values (at most `limit`). */
export function changedPaths(
  before: unknown,
  after: unknown,
  limit = 12,
  prefix = '',
  out: string[] = [],
): string[] {
  if (out.length >= limit) return out;
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const keys = [
      ...new Set([...Object.keys(before), ...Object.keys(after)]),
    ].sort();
    for (const key of keys) {
      changedPaths(
        before[key],
        after[key],
        limit,
        prefix ? `${prefix}.${key}` : key,
        out,
      );
    }
  } else if (
    Array.isArray(before) &&
    Array.isArray(after) &&
    before.length === after.length
  ) {
    before.forEach((item, i) =>
      changedPaths(item, after[i], limit, `${prefix}[${i}]`, out),
    );
  } else if (JSON.stringify(before) !== JSON.stringify(after)) {
    out.push(prefix || '(whole object)');
  }
  return out;
}

/**
 * CRDs are applied with `force`: the platform repository owns the
 * definitions of its pinned operators' kinds, and whoever created them first
 * (the stack, Helm's first install) otherwise "conflicts" on lists the
 * server normalizes on storage (`spec.versions` is atomic, and an empty
 * `properties: {}` in a schema is dropped), although nobody changed them.
 * Everything else is applied without force, so a field owned by another
 * manager is reported instead of taken.
 */
const forceFor = (object: KubeObject) =>
  object.kind === 'CustomResourceDefinition';

/** A conflict with another field manager, said plainly. */
function explainConflict(object: KubeObject, error: unknown): unknown {
  const e = error as KubernetesApiError;
  if (
    e?.code !== 409 ||
    !e.causes?.some(c => c.reason === 'FieldManagerConflict')
  )
    return error;
  const owners = e.causes.map(c => `${c.field} (${c.message})`).join(', ');
  return new KubernetesApiError({
    code: 409,
    reason: 'Conflict',
    causes: e.causes,
    message:
      `${formatRef(
        object,
      )}: fields of the manifests are owned by another field manager: ${owners}. ` +
      'Stop the other tool from managing them, or take them over once with kubectl apply --server-side --force-conflicts.',
  });
}

/**
 * Applies one object with server-side apply, idempotently: the server's own
 * dry-run of the apply is compared with the live object first, and an
 * object that would not change is not written at all (so a re-run changes
 * nothing, not even managedFields timestamps).
 */
export async function applyObject(
  client: KubernetesObjectClient,
  object: KubeObject,
  options: { fieldManager: string; runId: string; dryRun: boolean },
): Promise<AppliedObject> {
  const ref = refOf(object);
  const live = await client.read(ref);
  const desired = normalizeSecret(structuredClone(object));
  const runLabel = live ? live.metadata.labels?.[RUN_LABEL] : options.runId;
  if (runLabel) {
    desired.metadata.labels = {
      ...desired.metadata.labels,
      [RUN_LABEL]: runLabel,
    };
  }
  const force = forceFor(object);
  const preview = await client
    .apply(desired, { fieldManager: options.fieldManager, dryRun: true, force })
    .catch(error => {
      throw explainConflict(object, error);
    });
  const changedFields = live
    ? changedPaths(comparable(live), comparable(preview))
    : [];
  if (live && changedFields.length === 0) {
    return {
      ref,
      action: 'unchanged',
      uid: live.metadata.uid,
      resourceVersion: live.metadata.resourceVersion,
      createdByRun: live.metadata.labels?.[RUN_LABEL] === options.runId,
      changedFields,
    };
  }
  const action: ApplyAction = live ? 'configured' : 'created';
  if (options.dryRun) {
    return { ref, action, createdByRun: false, changedFields };
  }
  const applied = await client.apply(desired, {
    fieldManager: options.fieldManager,
  });
  return {
    ref,
    action,
    uid: applied.metadata.uid,
    resourceVersion: applied.metadata.resourceVersion,
    createdByRun: !live || live.metadata.labels?.[RUN_LABEL] === options.runId,
    changedFields,
  };
}
