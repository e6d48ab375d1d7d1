import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Publish the rendered platform and DAG repositories as local bare Git repositories',
    example: yaml.stringify({
      steps: [
        {
          id: 'publish-platform',
          action: 'lambda:publish:local',
          name: 'Publish the platform repository',
          input: {
            sourcePath: 'platform',
            repoName: '${{ parameters.name }}-platform',
            description: 'Platform of the ${{ parameters.name }} pipeline',
          },
        },
        {
          id: 'publish-dags',
          action: 'lambda:publish:local',
          name: 'Publish the DAG repository',
          input: {
            sourcePath: 'dags',
            repoName: '${{ parameters.name }}-dags',
            defaultBranch: 'main',
            gitAuthorName: '${{ user.entity.spec.profile.displayName }}',
            gitAuthorEmail: '${{ user.entity.spec.profile.email }}',
          },
        },
      ],
    }),
  },
];
