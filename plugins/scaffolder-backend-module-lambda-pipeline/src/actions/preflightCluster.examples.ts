import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Check the configured cluster before publishing and deploying (skipped when no cluster is configured)',
    example: yaml.stringify({
      steps: [
        {
          id: 'preflight',
          action: 'lambda:kubernetes:preflight',
          name: 'Check the cluster',
          input: {
            manifestsPath: 'platform/deploy/overlays/kind',
            namespace: '${{ steps.plan.output.plan.namespace }}',
            memoryBudget:
              '${{ steps.plan.output.spec.spec.resources.memoryBudget }}',
          },
        },
      ],
    }),
  },
];
