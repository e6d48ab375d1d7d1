import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fs from 'fs';
import path from 'path';
import yaml from 'yaml';
import { UPSTREAM_SCHEMAS_DIR } from './cache';
import { UPSTREAM_SCHEMA_AJV_OPTIONS, ajvErrors } from './manifests';

/** Charts with vendored upstream values (see `schemas/README.md`). */
export type Chart = 'airflow' | 'spark-operator';

/** The chart's upstream default `values.yaml`, as text. */
export function upstreamValuesYaml(chart: Chart): string {
  return fs.readFileSync(
    path.join(UPSTREAM_SCHEMAS_DIR, chart, 'values.yaml'),
    'utf8',
  );
}

let airflowValidator: { validate: ValidateFunction; topLevel: Set<string> };

function loadAirflowSchema() {
  if (!airflowValidator) {
    const schema = JSON.parse(
      fs.readFileSync(
        path.join(UPSTREAM_SCHEMAS_DIR, 'airflow', 'values.schema.json'),
        'utf8',
      ),
    );
    // draft-07, as `$schema` says; x-docsSection and friends are ignored.
    const ajv = new Ajv(UPSTREAM_SCHEMA_AJV_OPTIONS);
    addFormats(ajv);
    airflowValidator = {
      validate: ajv.compile(schema),
      topLevel: new Set(Object.keys(schema.properties ?? {})),
    };
  }
  return airflowValidator;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Keys whose value is a free-form map in Helm charts (Kubernetes objects or
 * user maps): anything below them is accepted.
 */
export const OPEN_VALUE_KEYS: RegExp[] = [
  /annotations$/i,
  /labels$/i,
  /selector$/i,
  /^(resources|affinity|tolerations|topologySpreadConstraints)$/,
  /^(env|envFrom|extraEnv.*|extra[A-Z].*)$/,
  /^(securityContext|podSecurityContext|containerSecurityContext|securityContexts)$/,
  /^(volumes|volumeMounts|sidecars|initContainers)$/,
  /^(config|sparkConf|hadoopConf)$/,
];

/**
 * Keys of `values` that the chart's upstream default values do not have, as
 * dotted paths (`controller.replica`). A key is open (anything below it is
 * accepted) when its upstream value is an empty map, null, or its name is a
 * free-form map (`OPEN_VALUE_KEYS` or `openKeys`); lists are not looked into.
 * A map given where upstream has a scalar is reported too.
 */
export function unknownValueKeys(
  values: unknown,
  upstreamDefaultsYaml: string,
  options: { openKeys?: RegExp[] } = {},
): string[] {
  const open = [...OPEN_VALUE_KEYS, ...(options.openKeys ?? [])];
  const upstream = yaml.parse(upstreamDefaultsYaml) ?? {};
  const problems: string[] = [];
  const walk = (given: unknown, known: unknown, at: string) => {
    if (!isPlainObject(given) || !isPlainObject(known)) {
      return;
    }
    for (const [key, value] of Object.entries(given)) {
      const dotted = at ? `${at}.${key}` : key;
      if (!(key in known)) {
        problems.push(`${dotted}: not a value of the chart`);
        continue;
      }
      const def = known[key];
      if (
        def === null ||
        open.some(re => re.test(key)) ||
        (isPlainObject(def) && Object.keys(def).length === 0)
      ) {
        continue;
      }
      if (isPlainObject(value) && !isPlainObject(def)) {
        problems.push(
          `${dotted}: a map, but the chart's default is ${
            Array.isArray(def) ? 'a list' : JSON.stringify(def)
          }`,
        );
        continue;
      }
      walk(value, def, dotted);
    }
  };
  walk(values, upstream, '');
  return problems;
}

/**
 * Errors of Helm values for a vendored chart: Airflow against its
 * `values.schema.json` (draft-07, as `helm install` checks it) plus top-level
 * keys the schema does not know (its root allows them, so Helm would silently
 * ignore a typo); charts without a schema (spark-operator) with
 * `unknownValueKeys` against their upstream `values.yaml`.
 */
export function validateHelmValues(values: unknown, chart: Chart): string[] {
  if (chart !== 'airflow') {
    return unknownValueKeys(values, upstreamValuesYaml(chart));
  }
  const { validate, topLevel } = loadAirflowSchema();
  const errors = validate(values) ? [] : ajvErrors(validate);
  if (isPlainObject(values)) {
    for (const key of Object.keys(values)) {
      if (!topLevel.has(key)) {
        errors.push(
          `.${key}: not a value of the chart (values.schema.json has no such top-level key)`,
        );
      }
    }
  }
  return errors;
}
