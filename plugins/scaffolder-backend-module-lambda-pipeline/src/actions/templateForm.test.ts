import { PIPELINE_FORM_FIELDS } from '@internal/backstage-plugin-lambda-pipeline-common';
import fs from 'fs';
import path from 'path';
import yaml from 'yaml';

describe('templates/lambda-pipeline/template.yaml', () => {
  const template = yaml.parse(
    fs.readFileSync(
      path.resolve(
        __dirname,
        '../../../../templates/lambda-pipeline/template.yaml',
      ),
      'utf8',
    ),
  );
  const pages: any[] = template.spec.parameters;
  const fields = pages.flatMap(page => Object.keys(page.properties ?? {}));

  it('asks for exactly the fields the planning action understands', () => {
    expect([...fields].sort()).toEqual([...PIPELINE_FORM_FIELDS].sort());
  });

  it('hands the whole form to lambda:pipeline:plan', () => {
    const plan = template.spec.steps.find(
      (step: any) => step.action === 'lambda:pipeline:plan',
    );
    expect(plan.input).toEqual({ values: '${{ parameters }}' });
  });

  it('marks Secret fields as names, not credentials', () => {
    const secretFields = pages.flatMap(page =>
      Object.entries(page.properties ?? {}).filter(([key]) =>
        key.startsWith('secret'),
      ),
    );
    expect(secretFields.length).toBe(6);
    for (const [, field] of secretFields as Array<[string, any]>) {
      expect(field.pattern).toBe('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$');
      expect(field['ui:field']).toBeUndefined();
    }
  });
});
