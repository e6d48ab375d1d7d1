import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { pipelineSpecServiceRef } from '@internal/backstage-plugin-lambda-pipeline-node';
import { createRouter } from './router';

/**
 * The lambda-pipeline backend plugin: pipelines, their specs and (as the
 * probes land) their health, throughput and consistency.
 *
 * @public
 */
export const lambdaPipelinePlugin = createBackendPlugin({
  pluginId: 'lambda-pipeline',
  register(env) {
    env.registerInit({
      deps: {
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        catalog: catalogServiceRef,
        specs: pipelineSpecServiceRef,
      },
      async init({ httpAuth, httpRouter, catalog, specs }) {
        httpRouter.use(await createRouter({ httpAuth, catalog, specs }));
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
