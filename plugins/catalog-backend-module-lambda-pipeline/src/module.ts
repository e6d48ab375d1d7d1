import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { LambdaPipelineProvider } from './provider/LambdaPipelineProvider';

export const catalogModuleLambdaPipeline = createBackendModule({
  moduleId: 'lambda-pipeline-provider',
  pluginId: 'catalog',
  register({ registerInit }) {
    registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        scheduler: coreServices.scheduler,
        processing: catalogProcessingExtensionPoint,
      },
      async init({ logger, scheduler, config, processing }) {
        processing.addEntityProvider(
          LambdaPipelineProvider.fromConfig(config, {
            logger,
            scheduler,
          }),
        );
      }
    });
  },
})
