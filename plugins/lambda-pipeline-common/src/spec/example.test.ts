import fs from 'fs';
import path from 'path';
import yaml from 'yaml';
import { EXAMPLE_PIPELINE_SPEC } from './example';
import { validatePipelineSpec } from './validate';

describe('the example pipeline', () => {
  const file = path.resolve(
    __dirname,
    '../../../../examples/pipelines/orders/pipeline.yaml',
  );

  it('in the local catalog is valid and the same as EXAMPLE_PIPELINE_SPEC', () => {
    const document = yaml.parse(fs.readFileSync(file, 'utf8'));
    expect(validatePipelineSpec(document).problems).toEqual([]);
    expect(document).toEqual(EXAMPLE_PIPELINE_SPEC);
  });
});
