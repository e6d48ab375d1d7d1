import fs from 'fs';
import path from 'path';
import { UPSTREAM_SCHEMAS_DIR } from './cache';

type Field = {
  key: string | null;
  goType: string;
  inline?: boolean;
};

type FieldList = {
  apiVersion: string;
  kind: string;
  rootType: string;
  types: Record<string, { fields: Field[] }>;
  enums: Record<
    string,
    { underlying: string; values: Array<{ value: string }> }
  >;
};

let fieldList: FieldList | undefined;

/** kind's config field list (derived from its Go types at v0.32.0). */
export function kindFieldList(): FieldList {
  fieldList ??= JSON.parse(
    fs.readFileSync(
      path.join(
        UPSTREAM_SCHEMAS_DIR,
        'kind',
        'kind-v1alpha4-config-fields.json',
      ),
      'utf8',
    ),
  ) as FieldList;
  return fieldList;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOf(v: unknown): string {
  if (v === null) {
    return 'null';
  }
  return Array.isArray(v) ? 'a list' : typeof v;
}

/**
 * Errors of a kind cluster config, as `<path>: <message>`, following kind
 * v0.32.0: only `apiVersion: kind.x-k8s.io/v1alpha4` with `kind: Cluster`;
 * strict decoding (unknown fields are errors); Go types (string, bool,
 * int32, lists, maps); enum values (port-mapping `protocol` is upper-cased
 * first, mount `propagation` is case-sensitive, an empty value takes the
 * default); plus kind's own validation of ports (-1..65535), at least one
 * control-plane node, and host ports used twice.
 */
export function validateKindConfig(obj: unknown): string[] {
  const spec = kindFieldList();
  const errors: string[] = [];
  if (!isPlainObject(obj)) {
    return [`.: a kind config must be a map, got ${typeOf(obj)}`];
  }
  if (obj.apiVersion !== spec.apiVersion) {
    errors.push(
      `.apiVersion: must be ${spec.apiVersion}, got ${JSON.stringify(
        obj.apiVersion,
      )}`,
    );
  }
  if (obj.kind !== spec.kind) {
    errors.push(`.kind: must be ${spec.kind}, got ${JSON.stringify(obj.kind)}`);
  }

  const fieldsOf = (typeName: string): Map<string, string> => {
    const fields = new Map<string, string>();
    for (const field of spec.types[typeName]?.fields ?? []) {
      if (field.inline) {
        fieldsOf(field.goType).forEach((t, k) => fields.set(k, t));
      } else if (field.key) {
        fields.set(field.key, field.goType);
      }
    }
    return fields;
  };

  const check = (value: unknown, goType: string, at: string): void => {
    if (goType.startsWith('*')) {
      if (value !== null) {
        check(value, goType.slice(1), at);
      }
      return;
    }
    if (goType.startsWith('[]')) {
      if (!Array.isArray(value)) {
        errors.push(`${at}: must be a list, got ${typeOf(value)}`);
        return;
      }
      value.forEach((item, i) => check(item, goType.slice(2), `${at}[${i}]`));
      return;
    }
    const map = /^map\[string\](.+)$/.exec(goType);
    if (map) {
      if (!isPlainObject(value)) {
        errors.push(`${at}: must be a map, got ${typeOf(value)}`);
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        check(v, map[1], `${at}[${JSON.stringify(k)}]`);
      }
      return;
    }
    if (goType === 'string') {
      if (typeof value !== 'string') {
        errors.push(`${at}: must be a string, got ${typeOf(value)}`);
      }
      return;
    }
    if (goType === 'bool') {
      if (typeof value !== 'boolean') {
        errors.push(`${at}: must be a boolean, got ${typeOf(value)}`);
      }
      return;
    }
    if (goType === 'int32') {
      if (
        !Number.isInteger(value) ||
        (value as number) < -(2 ** 31) ||
        (value as number) > 2 ** 31 - 1
      ) {
        errors.push(
          `${at}: must be a 32-bit integer, got ${JSON.stringify(value)}`,
        );
      }
      return;
    }
    const enumType = spec.enums[goType];
    if (enumType) {
      if (typeof value !== 'string') {
        errors.push(`${at}: must be a string, got ${typeOf(value)}`);
        return;
      }
      const allowed = enumType.values.map(v => v.value);
      const given =
        goType === 'PortMappingProtocol' ? value.toUpperCase() : value;
      if (given !== '' && !allowed.includes(given)) {
        errors.push(
          `${at}: must be one of ${allowed.join(', ')}, got "${value}"`,
        );
      }
      return;
    }
    if (spec.types[goType]) {
      if (!isPlainObject(value)) {
        errors.push(`${at}: must be a map (${goType}), got ${typeOf(value)}`);
        return;
      }
      const fields = fieldsOf(goType);
      for (const [k, v] of Object.entries(value)) {
        const fieldType = fields.get(k);
        if (!fieldType) {
          errors.push(`${at}.${k}: unknown field "${k}" in ${goType}`);
        } else if (v !== null || fieldType.startsWith('*')) {
          check(v, fieldType, `${at}.${k}`);
        }
      }
      return;
    }
    errors.push(`${at}: no rule for Go type ${goType}`);
  };
  check(obj, spec.rootType, '');

  const nodes = Array.isArray(obj.nodes) ? obj.nodes.filter(isPlainObject) : [];
  if (
    nodes.length > 0 &&
    !nodes.some(
      n => (n.role ?? 'control-plane') === 'control-plane' || n.role === '',
    )
  ) {
    errors.push('.nodes: at least one node must have role control-plane');
  }
  const hostPorts = new Map<string, string>();
  nodes.forEach((node, i) => {
    const mappings = Array.isArray(node.extraPortMappings)
      ? node.extraPortMappings
      : [];
    mappings.filter(isPlainObject).forEach((m, j) => {
      const at = `.nodes[${i}].extraPortMappings[${j}]`;
      for (const key of ['containerPort', 'hostPort']) {
        const port = m[key];
        if (typeof port === 'number' && (port < -1 || port > 65535)) {
          errors.push(
            `${at}.${key}: must be between -1 and 65535, got ${port}`,
          );
        }
      }
      if (typeof m.hostPort === 'number' && m.hostPort > 0) {
        const id = `${m.listenAddress ?? '0.0.0.0'}:${m.hostPort}/${String(
          m.protocol ?? 'TCP',
        ).toUpperCase()}`;
        const first = hostPorts.get(id);
        if (first) {
          errors.push(`${at}.hostPort: ${id} is already mapped by ${first}`);
        } else {
          hostPorts.set(id, at);
        }
      }
    });
  });
  return errors;
}
