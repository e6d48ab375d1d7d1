import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Register the catalog-info.yaml of a repository published with lambda:publish:local',
    example: yaml.stringify({
      steps: [
        {
          id: 'register-platform',
          action: 'lambda:catalog:register-local',
          name: 'Register the platform in the catalog',
          input: {
            catalogInfoPath:
              "${{ steps['publish-platform'].output.checkoutPath }}/catalog-info.yaml",
          },
        },
        {
          id: 'register-dags',
          action: 'lambda:catalog:register-local',
          name: 'Register the DAG repository in the catalog',
          input: {
            catalogInfoPath:
              "${{ steps['publish-dags'].output.checkoutPath }}/catalog-info.yaml",
            optional: true,
          },
        },
      ],
    }),
  },
];
