type Schema = {
  default?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function fillObject(
  schema: Schema,
  value: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined) {
      if (sub.default !== undefined) {
        out[key] = structuredClone(sub.default);
      } else if (sub.properties) {
        const nested = fillObject(sub, {});
        if (Object.keys(nested).length > 0) {
          out[key] = nested;
        }
      }
    }
    const current = out[key];
    if (isPlainObject(current) && sub.properties) {
      out[key] = fillObject(sub, current);
    } else if (Array.isArray(current) && sub.items?.properties) {
      const items = sub.items;
      out[key] = current.map(item =>
        isPlainObject(item) ? fillObject(items, item) : item,
      );
    }
  }
  return out;
}

/**
 * The values the scaffolder form would submit: every missing property whose
 * parameter schema has a `default` gets it, also inside objects and in every
 * object item of an array (like react-jsonschema-form's default state).
 * `dependencies`, `allOf` and `if`/`then` branches are not looked at.
 */
export function applyFormDefaults(
  parameters: unknown,
  values: Record<string, unknown>,
): Record<string, unknown> {
  const pages = (Array.isArray(parameters) ? parameters : [parameters]).filter(
    isPlainObject,
  ) as Schema[];
  return pages.reduce((acc, page) => fillObject(page, acc), { ...values });
}
