import { createApiRef } from '@backstage/frontend-plugin-api';
import type {
  PipelineConsistencyResponse,
  PipelineHealthResponse,
  PipelineListResponse,
  PipelineSpecResponse,
  PipelineThroughputResponse,
} from '@internal/backstage-plugin-lambda-pipeline-common';

/** A pipeline entity, by namespace and name. */
export type PipelineRef = { namespace: string; name: string };

/** Typed client of the lambda-pipeline backend (`openapi.yaml` there). */
export interface LambdaPipelineApi {
  listPipelines(): Promise<PipelineListResponse>;
  getPipelineSpec(ref: PipelineRef): Promise<PipelineSpecResponse>;
  /** Live health per layer and component. */
  getHealth(ref: PipelineRef): Promise<PipelineHealthResponse>;
  /** Throughput per stage, lag and dead letters over the last `windowMinutes` (default 60). */
  getThroughput(
    ref: PipelineRef,
    options?: { windowMinutes?: number },
  ): Promise<PipelineThroughputResponse>;
  /** The newest reconciliation (a new one with `refresh`), with its history. */
  getConsistency(
    ref: PipelineRef,
    options?: { refresh?: boolean },
  ): Promise<PipelineConsistencyResponse>;
}

export const lambdaPipelineApiRef = createApiRef<LambdaPipelineApi>().with({
  id: 'plugin.lambda-pipeline.api',
  pluginId: 'lambda-pipeline',
});
