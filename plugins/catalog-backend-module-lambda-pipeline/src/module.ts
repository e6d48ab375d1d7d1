import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { pipelineSpecServiceRef } from '@internal/backstage-plugin-lambda-pipeline-node';
import { LambdaPipelineSpecProcessor } from './processor/LambdaPipelineSpecProcessor';

/**
 * Catalog module of Lambda pipelines: validates pipeline specs now; turns them
 * and the live systems into dataset Resources as the providers land.
 */
export const catalogModuleLambdaPipeline = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'lambda-pipeline',
  register({ registerInit }) {
    registerInit({
      deps: {
        logger: coreServices.logger,
        processing: catalogProcessingExtensionPoint,
        specs: pipelineSpecServiceRef,
      },
      async init({ logger, processing, specs }) {
        processing.addProcessor(
          LambdaPipelineSpecProcessor.create({ specs, logger }),
        );
      },
    });
  },
});
