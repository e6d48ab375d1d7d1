import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fs from 'fs';
import path from 'path';
import yaml from 'yaml';

const spec = yaml.parse(
  fs.readFileSync(path.resolve(__dirname, '../../openapi.yaml'), 'utf8'),
);
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'openapi.json', components: spec.components });

/**
 * Checks a response body against a schema of `openapi.yaml` (OpenAPI 3.1:
 * its schemas are JSON Schema); returns the problems, empty when it fits.
 */
export function openApiProblems(schema: string, body: unknown): string[] {
  const validate = ajv.getSchema(`openapi.json#/components/schemas/${schema}`);
  if (!validate) throw new Error(`openapi.yaml has no schema ${schema}`);
  return validate(body)
    ? []
    : (validate.errors ?? []).map(e => `${e.instancePath || '/'} ${e.message}`);
}
