import { ResponseError } from '@backstage/errors';
import type { FetchApi } from '@backstage/frontend-plugin-api';
import type {
  PipelineListResponse,
  PipelineSpecResponse,
} from '@internal/backstage-plugin-lambda-pipeline-common';
import type { LambdaPipelineApi } from './LambdaPipelineApi';

/** Calls the backend through `fetchApi` (auth and base URL handled for us). */
export class LambdaPipelineClient implements LambdaPipelineApi {
  constructor(private readonly fetchApi: FetchApi) {}

  listPipelines(): Promise<PipelineListResponse> {
    return this.get('pipelines');
  }

  getPipelineSpec(ref: {
    namespace: string;
    name: string;
  }): Promise<PipelineSpecResponse> {
    return this.get(
      `pipelines/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(
        ref.name,
      )}/spec`,
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
