import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Plan the pipeline from the "Create pipeline" form before rendering anything',
    example: yaml.stringify({
      steps: [
        {
          id: 'plan',
          action: 'lambda:pipeline:plan',
          name: 'Plan the pipeline',
          input: { values: '${{ parameters }}' },
        },
      ],
    }),
  },
];
