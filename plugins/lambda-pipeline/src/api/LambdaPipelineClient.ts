import { ResponseError } from '@backstage/errors';
import type { FetchApi } from '@backstage/frontend-plugin-api';
import type {
  PipelineConsistencyResponse,
  PipelineHealthResponse,
  PipelineListResponse,
  PipelineSpecResponse,
  PipelineThroughputResponse,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import type { LambdaPipelineApi, PipelineRef } from './LambdaPipelineApi';

const pipelinePath = (ref: PipelineRef, rest: string) =>
  `pipelines/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(
    ref.name,
  )}/${rest}`;

/** Calls the backend through `fetchApi` (auth and base URL handled for us). */
export class LambdaPipelineClient implements LambdaPipelineApi {
  constructor(private readonly fetchApi: FetchApi) {}

  listPipelines(): Promise<PipelineListResponse> {
    return this.get('pipelines');
  }

  getPipelineSpec(ref: PipelineRef): Promise<PipelineSpecResponse> {
    return this.get(pipelinePath(ref, 'spec'));
  }

  getHealth(ref: PipelineRef): Promise<PipelineHealthResponse> {
    return this.get(pipelinePath(ref, 'health'));
  }

  getThroughput(
    ref: PipelineRef,
    options: { windowMinutes?: number } = {},
  ): Promise<PipelineThroughputResponse> {
    const query =
      options.windowMinutes === undefined
        ? ''
        : `?windowMinutes=${encodeURIComponent(options.windowMinutes)}`;
    return this.get(pipelinePath(ref, `throughput${query}`));
  }

  getConsistency(
    ref: PipelineRef,
    options: { refresh?: boolean } = {},
  ): Promise<PipelineConsistencyResponse> {
    return this.get(
      pipelinePath(ref, `consistency${options.refresh ? '?refresh=true' : ''}`),
    );
  }

  private async get<T>(path: string): Promise<T> {
    const response = await this.fetchApi.fetch(
      `plugin://lambda-pipeline/${path}`,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}
