import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createPlanPipelineAction } from './actions/planPipeline';
import { createValidateSpecAction } from './actions/validateSpec';

/**
 * Scaffolder actions of Lambda pipelines: `lambda:spec:validate` and
 * `lambda:pipeline:plan`; deploy, preflight and publish actions join them.
 */
export const scaffolderModuleLambdaPipeline = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'lambda-pipeline',
  register({ registerInit }) {
    registerInit({
      deps: { scaffolderActions: scaffolderActionsExtensionPoint },
      async init({ scaffolderActions }) {
        scaffolderActions.addActions(
          createValidateSpecAction(),
          createPlanPipelineAction(),
        );
      },
    });
  },
});
