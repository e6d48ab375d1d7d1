import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Validate the spec assembled from the form before rendering anything',
    example: yaml.stringify({
      steps: [
        {
          id: 'validate',
          action: 'lambda:spec:validate',
          name: 'Validate the pipeline spec',
          input: {
            spec: {
              apiVersion: 'lambda-pipelines.io/v1alpha1',
              kind: 'LambdaPipeline',
              metadata: {
                name: '${{ parameters.name }}',
                owner: '${{ parameters.owner }}',
                system: '${{ parameters.system }}',
              },
              spec: '${{ parameters.spec }}',
            },
          },
        },
      ],
    }),
  },
];
