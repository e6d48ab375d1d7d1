import fs from 'fs';
import path from 'path';
import { pipelineSpecJsonSchema } from './jsonSchema';

const published = path.resolve(
  __dirname,
  '../../schema/lambda-pipeline.schema.json',
);

describe('pipelineSpecJsonSchema', () => {
  const schema = pipelineSpecJsonSchema() as any;

  it('describes the spec as written, with defaults optional', () => {
    expect(schema.title).toBe('LambdaPipeline');
    expect(schema.required).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(schema.additionalProperties).toBe(false);
    const spec = schema.properties.spec;
    expect(spec.required).toEqual(
      expect.arrayContaining([
        'source',
        'lake',
        'snowflake',
        'dags',
        'secrets',
      ]),
    );
    expect(spec.required).not.toContain('throughput');
    expect(
      spec.properties.throughput.properties.targetEventsPerSecond.default,
    ).toBe(20000);
    expect(spec.properties.secrets.properties.snowflake.type).toBe('string');
  });

  it('matches the published copy (regenerate with LP_UPDATE_SCHEMA=1)', () => {
    const text = `${JSON.stringify(schema, null, 2)}\n`;
    if (process.env.LP_UPDATE_SCHEMA === '1') {
      fs.mkdirSync(path.dirname(published), { recursive: true });
      fs.writeFileSync(published, text);
    }
    expect(fs.readFileSync(published, 'utf8')).toBe(text);
  });
});
