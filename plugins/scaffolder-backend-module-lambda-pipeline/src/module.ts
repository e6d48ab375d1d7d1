import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createValidateSpecAction } from './actions/validateSpec';

/**
 * Scaffolder actions of Lambda pipelines: `lambda:spec:validate` now; the
 * planning, deploy, preflight and publish actions join it.
 */
export const scaffolderModuleLambdaPipeline = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'lambda-pipeline',
  register({ registerInit }) {
    registerInit({
      deps: { scaffolderActions: scaffolderActionsExtensionPoint },
      async init({ scaffolderActions }) {
        scaffolderActions.addActions(createValidateSpecAction());
      },
    });
  },
});
