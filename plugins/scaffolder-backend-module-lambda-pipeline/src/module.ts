import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createDeployPipelineAction } from './actions/deployPipeline';
import { createPlanPipelineAction } from './actions/planPipeline';
import { createPreflightAction } from './actions/preflightCluster';
import { createPublishLocalAction } from './actions/publishLocal';
import { createRegisterLocalAction } from './actions/registerLocal';
import { createValidateSpecAction } from './actions/validateSpec';
import { readPublishLocalConfig } from './config';

/**
 * Scaffolder actions of Lambda pipelines: `lambda:spec:validate`,
 * `lambda:pipeline:plan`, `lambda:publish:local`,
 * `lambda:catalog:register-local`, `lambda:kubernetes:preflight` and
 * `lambda:kubernetes:deploy`.
 */
export const scaffolderModuleLambdaPipeline = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'lambda-pipeline',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolderActions: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
      },
      async init({ scaffolderActions, config, catalog }) {
        scaffolderActions.addActions(
          createValidateSpecAction(),
          createPlanPipelineAction({
            localRepoDirectory: readPublishLocalConfig(config)?.directory,
          }),
          createPublishLocalAction({ config }),
          createRegisterLocalAction({ config, catalog }),
          createPreflightAction({ config }),
          createDeployPipelineAction({ config }),
        );
      },
    });
  },
});
