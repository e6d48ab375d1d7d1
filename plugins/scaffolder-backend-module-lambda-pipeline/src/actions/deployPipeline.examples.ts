import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Deploy the kind overlay of the platform repository (skipped, with instructions, when no cluster is configured)',
    example: yaml.stringify({
      steps: [
        {
          id: 'deploy',
          action: 'lambda:kubernetes:deploy',
          name: 'Deploy to Kubernetes',
          input: {
            manifestsPath: 'platform/deploy/overlays/kind',
            namespace: '${{ steps.plan.output.plan.namespace }}',
          },
        },
      ],
    }),
  },
];
