import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import type { RegExpEngine } from 'ajv/dist/types';
import addFormats from 'ajv-formats';
import { Crd, loadCrds, VENDORED_CRD_FILES } from './crds';
import {
  builtinKindSchema,
  ensureK8sSchemas,
  k8sDefinitions,
  parseApiVersion,
} from './k8sSchemas';

export type ManifestValidator = {
  /**
   * Errors of one Kubernetes object, each as
   * `<Kind>/<namespace>/<name>: <json path>: <message>`; empty when valid.
   */
  validate(obj: unknown): string[];
  /** `apiVersion kind` of every vendored CRD version that is served. */
  crdKinds(): string[];
};

type Json = Record<string, any>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Formats of OpenAPI/Kubernetes schemas that ajv-formats does not know. */
const LENIENT_FORMATS = [
  'quantity',
  'int-or-string',
  'bsonobjectid',
  'cidr',
  'mac',
  'uuid3',
  'uuid4',
  'uuid5',
  'isbn',
  'isbn10',
  'isbn13',
  'creditcard',
  'ssn',
  'hexcolor',
  'rgbcolor',
  'datetime',
];

/** Patterns no JavaScript RegExp could express; they accept everything. */
export const untranslatablePatterns = new Set<string>();

/**
 * CRD patterns are Go RE2 expressions: leading flag groups such as `^(?i)`
 * become RegExp flags and `\\z` becomes `$`; a pattern JavaScript still
 * cannot compile accepts everything (and is listed in
 * `untranslatablePatterns`) rather than failing the whole CRD.
 */
export const goRegExp: RegExpEngine = Object.assign(
  (pattern: string, u: string) => {
    let source = pattern;
    let flags = u;
    const flagGroup = /^(\^?)\(\?([imsU]+)\)/.exec(source);
    if (flagGroup) {
      source = flagGroup[1] + source.slice(flagGroup[0].length);
      flags += [...new Set(flagGroup[2].replace(/U/g, ''))].join('');
    }
    source = source.replace(/(^|[^\\])\\z/g, '$1$$');
    try {
      return new RegExp(source, flags);
    } catch {
      untranslatablePatterns.add(pattern);
      return { test: () => true };
    }
  },
  { code: 'goRegExp' },
);

/** ajv options for upstream schemas (CRDs, Helm value schemas): lenient keywords, Go regexps. */
export const UPSTREAM_SCHEMA_AJV_OPTIONS = {
  strict: false,
  allErrors: true,
  allowUnionTypes: true,
  // Not the `u` flag: RE2 patterns such as `[\w-]` are invalid with it.
  unicodeRegExp: false,
  code: { regExp: goRegExp },
  logger: false,
} as const;

export function createK8sAjv(): Ajv2020 {
  const ajv = new Ajv2020(UPSTREAM_SCHEMA_AJV_OPTIONS);
  addFormats(ajv);
  for (const format of LENIENT_FORMATS) {
    ajv.addFormat(format, true);
  }
  return ajv;
}

/** `.spec.containers[0].image` from `/spec/containers/0/image`. */
export function jsonPath(pointer: string, extraKey?: string): string {
  const segments = pointer
    .split('/')
    .slice(1)
    .map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extraKey !== undefined) {
    segments.push(extraKey);
  }
  if (segments.length === 0) {
    return '.';
  }
  const segment = (s: string) => {
    if (/^\d+$/.test(s)) {
      return `[${s}]`;
    }
    return /^[A-Za-z_$][\w$-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  };
  return segments.map(segment).join('');
}

export function describeAjvError(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') {
    const key = (error.params as { additionalProperty: string })
      .additionalProperty;
    return `${jsonPath(error.instancePath, key)}: unknown field "${key}"`;
  }
  if (error.keyword === 'enum') {
    return `${jsonPath(error.instancePath)}: ${error.message}: ${JSON.stringify(
      (error.params as { allowedValues: unknown[] }).allowedValues,
    )}`;
  }
  if (error.keyword === 'const') {
    return `${jsonPath(error.instancePath)}: must be ${JSON.stringify(
      (error.params as { allowedValue: unknown }).allowedValue,
    )}`;
  }
  return `${jsonPath(error.instancePath)}: ${error.message}`;
}

export function ajvErrors(validate: ValidateFunction): string[] {
  return [...new Set((validate.errors ?? []).map(describeAjvError))];
}

function objectName(obj: Json): string {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const kind = typeof obj.kind === 'string' ? obj.kind : '<no kind>';
  const name = meta.name ?? meta.generateName ?? '<no name>';
  return meta.namespace
    ? `${kind}/${meta.namespace}/${name}`
    : `${kind}/${name}`;
}

/**
 * Validates Kubernetes objects like a Kubernetes 1.36 API server with strict
 * field validation would: built-in kinds against the strict schemas of
 * kubernetes-validate (downloaded once, see `ensureK8sSchemas`), custom
 * resources against the vendored CRDs. Kinds that are neither (including
 * versions a CRD does not serve, such as `kafka.strimzi.io/v1beta2`) are
 * errors. Add CRD files with `extraCrdFiles`.
 */
export async function loadManifestValidator(
  options: { extraCrdFiles?: string[] } = {},
): Promise<ManifestValidator> {
  const dir = ensureK8sSchemas();
  const ajv = createK8sAjv();
  ajv.addSchema(k8sDefinitions(dir));
  const crds: Crd[] = loadCrds([
    ...VENDORED_CRD_FILES,
    ...(options.extraCrdFiles ?? []),
  ]);
  const crdGroups = new Set(crds.map(c => c.group));
  const compiled = new Map<string, ValidateFunction | string>();

  const validatorFor = (
    apiVersion: string,
    kind: string,
  ): ValidateFunction | string => {
    const key = `${apiVersion} ${kind}`;
    const cached = compiled.get(key);
    if (cached) {
      return cached;
    }
    const { group, version } = parseApiVersion(apiVersion);
    let result: ValidateFunction | string;
    if (crdGroups.has(group)) {
      const crd = crds.find(c => c.group === group && c.kind === kind);
      const served = crd?.versions.filter(v => v.served) ?? [];
      const match = served.find(v => v.name === version);
      if (!crd) {
        result = `no CRD of kind ${kind} in group ${group} is vendored (kinds: ${crds
          .filter(c => c.group === group)
          .map(c => c.kind)
          .join(', ')})`;
      } else if (!match) {
        result = `apiVersion ${apiVersion} is not served by the ${kind} CRD (served: ${
          served.map(v => `${group}/${v.name}`).join(', ') || 'none'
        })`;
      } else {
        result = ajv.compile(match.schema);
      }
    } else {
      const schema = builtinKindSchema(dir, { group, version, kind });
      result = schema
        ? ajv.compile(schema)
        : `${apiVersion} ${kind} is neither a Kubernetes 1.36 built-in kind nor a kind of the vendored CRDs (groups: ${[
            ...crdGroups,
          ]
            .sort()
            .join(', ')})`;
    }
    compiled.set(key, result);
    return result;
  };

  return {
    validate(obj: unknown): string[] {
      if (!isObject(obj)) {
        return [`not a Kubernetes object: ${JSON.stringify(obj)}`];
      }
      const name = objectName(obj);
      if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
        return [`${name}: apiVersion and kind must be strings`];
      }
      const errors: string[] = [];
      const meta = isObject(obj.metadata) ? obj.metadata : {};
      if (!meta.name && !meta.generateName) {
        errors.push(`${name}: .metadata.name: required`);
      }
      const validate = validatorFor(obj.apiVersion, obj.kind);
      if (typeof validate === 'string') {
        return [...errors, `${name}: ${validate}`];
      }
      if (!validate(obj)) {
        errors.push(...ajvErrors(validate).map(e => `${name}: ${e}`));
      }
      return errors;
    },
    crdKinds() {
      return crds.flatMap(c =>
        c.versions
          .filter(v => v.served)
          .map(v => `${c.group}/${v.name} ${c.kind}`),
      );
    },
  };
}

/**
 * Validates every document of parsed YAML files that looks like a
 * Kubernetes object (has `apiVersion` and `kind`); errors are prefixed with
 * `path#<document index>`.
 */
export function validateManifestFiles(
  validator: ManifestValidator,
  files: Array<{ path: string; docs: unknown[] }>,
): string[] {
  return files.flatMap(file =>
    file.docs.flatMap((doc, index) =>
      isObject(doc) && doc.apiVersion && doc.kind
        ? validator.validate(doc).map(e => `${file.path}#${index}: ${e}`)
        : [],
    ),
  );
}
