import fs from 'fs';
import path from 'path';
import yaml from 'yaml';
import { SKELETON_CRDS_DIR, UPSTREAM_SCHEMAS_DIR } from './cache';
import { OBJECT_META_REF } from './k8sSchemas';

/**
 * The vendored CRDs (see `schemas/README.md`): those the generated platform
 * repository ships (`skeleton/pipeline/deploy/crds`) and the others the
 * manifests may use.
 */
export const VENDORED_CRD_FILES = [
  ...[
    'strimzi/040-Crd-kafka.yaml',
    'strimzi/041-Crd-kafkaconnect.yaml',
    'strimzi/043-Crd-kafkatopic.yaml',
    'strimzi/045-Crd-kafkanodepool.yaml',
    'strimzi/047-Crd-kafkaconnector.yaml',
    'spark-operator/sparkoperator.k8s.io_sparkapplications.yaml',
    'sealed-secrets/bitnami.com_sealedsecrets.yaml',
    'prometheus-operator/monitoring.coreos.com_podmonitors.yaml',
    'prometheus-operator/monitoring.coreos.com_prometheusrules.yaml',
  ].map(rel => path.join(SKELETON_CRDS_DIR, rel)),
  ...[
    'spark-operator/sparkoperator.k8s.io_scheduledsparkapplications.yaml',
    'external-secrets/external-secrets.io_externalsecrets.yaml',
    'external-secrets/external-secrets.io_secretstores.yaml',
    'prometheus-operator/monitoring.coreos.com_servicemonitors.yaml',
  ].map(rel => path.join(UPSTREAM_SCHEMAS_DIR, rel)),
];

type Json = Record<string, any>;

export type CrdVersion = {
  name: string;
  served: boolean;
  /** JSON Schema with the API server's structural-schema semantics. */
  schema: Json;
};

export type Crd = {
  group: string;
  kind: string;
  file: string;
  versions: CrdVersion[];
};

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Rewrites one node of an `openAPIV3Schema` into plain JSON Schema with what
 * the API server does to it:
 * - objects reject unknown fields (the server prunes them, and rejects them
 *   with strict field validation) unless `additionalProperties` or
 *   `x-kubernetes-preserve-unknown-fields: true` says otherwise;
 * - `x-kubernetes-int-or-string` accepts an integer or a string;
 * - `nullable: true` accepts null;
 * - `x-kubernetes-embedded-resource` objects accept apiVersion, kind and
 *   ObjectMeta metadata.
 * Only the structural part (properties, items, additionalProperties) is
 * rewritten; anyOf/oneOf/allOf/not are value validations and stay as they are.
 * `x-kubernetes-validations` (CEL rules) are not evaluated.
 */
export function structuralSchema(node: Json): Json {
  const out: Json = { ...node };
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    if (!out.anyOf && !out.oneOf) {
      out.anyOf = [{ type: 'integer' }, { type: 'string' }];
    }
  }
  if (out.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
    } else if (out.anyOf) {
      out.anyOf = [...out.anyOf, { type: 'null' }];
    }
    if (Array.isArray(out.enum) && !out.enum.includes(null)) {
      out.enum = [...out.enum, null];
    }
  }
  delete out.nullable;
  if (out['x-kubernetes-embedded-resource'] === true) {
    out.properties = {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: OBJECT_META_REF },
      ...out.properties,
    };
  }
  if (isObject(out.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([k, v]) => [
        k,
        isObject(v) ? structuralSchema(v) : v,
      ]),
    );
  }
  if (isObject(out.items)) {
    out.items = structuralSchema(out.items);
  }
  if (isObject(out.additionalProperties)) {
    out.additionalProperties = structuralSchema(out.additionalProperties);
  }
  const isObjectNode = out.type === 'object' || isObject(out.properties);
  if (
    isObjectNode &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/** The root schema of one CRD version: typed apiVersion/kind, ObjectMeta. */
export function crdVersionSchema(
  group: string,
  kind: string,
  version: string,
  openAPIV3Schema: Json,
): Json {
  const root = structuralSchema(openAPIV3Schema ?? { type: 'object' });
  return {
    ...root,
    properties: {
      ...root.properties,
      apiVersion: { const: `${group}/${version}` },
      kind: { const: kind },
      metadata: { $ref: OBJECT_META_REF },
    },
  };
}

/** Reads CRD files (multi-document YAML; other documents are ignored). */
export function loadCrds(files: string[] = VENDORED_CRD_FILES): Crd[] {
  const crds: Crd[] = [];
  for (const file of files) {
    for (const doc of yaml.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const crd = doc.toJS({ maxAliasCount: 1000 });
      if (crd?.kind !== 'CustomResourceDefinition') {
        continue;
      }
      const { group, names, versions } = crd.spec;
      crds.push({
        group,
        kind: names.kind,
        file,
        versions: (versions as Json[]).map(v => ({
          name: v.name,
          served: v.served !== false,
          schema: crdVersionSchema(
            group,
            names.kind,
            v.name,
            v.schema?.openAPIV3Schema,
          ),
        })),
      });
    }
  }
  return crds;
}
