import { createApiRef } from '@backstage/frontend-plugin-api';
import type {
  PipelineListResponse,
  PipelineSpecResponse,
} from '@internal/backstage-plugin-lambda-pipeline-common';

/** Typed client of the lambda-pipeline backend. */
export interface LambdaPipelineApi {
  listPipelines(): Promise<PipelineListResponse>;
  getPipelineSpec(ref: {
    namespace: string;
    name: string;
  }): Promise<PipelineSpecResponse>;
}

export const lambdaPipelineApiRef = createApiRef<LambdaPipelineApi>().with({
  id: 'plugin.lambda-pipeline.api',
  pluginId: 'lambda-pipeline',
});
