import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogLocationsExtensionPoint,
  catalogProcessingExtensionPoint,
} from '@backstage/plugin-catalog-node';
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
        config: coreServices.rootConfig,
        locations: catalogLocationsExtensionPoint,
        processing: catalogProcessingExtensionPoint,
        specs: pipelineSpecServiceRef,
      },
      async init({ logger, config, locations, processing, specs }) {
        // Pipelines published to local bare Git repositories are registered
        // as `file` locations (lambda:catalog:register-local). Allowed only
        // when local publishing is configured: it lets users with
        // catalog.location.create register files of the backend's host.
        if (config.has('lambdaPipelines.publish.local.directory')) {
          locations.setAllowedLocationTypes(['url', 'file']);
          logger.info(
            "Catalog accepts 'file' locations for locally published pipelines (lambdaPipelines.publish.local.directory is set)",
          );
        }
        processing.addProcessor(
          LambdaPipelineSpecProcessor.create({ specs, logger }),
        );
      },
    });
  },
});
