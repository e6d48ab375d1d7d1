import type { LambdaPipeline } from '../spec/schema';
import type { PipelineSizing } from '../sizing/sizing';

/** `GET /api/lambda-pipeline/pipelines` */
export interface PipelineListResponse {
  items: PipelineSummary[];
}

/** A catalog entity that carries a pipeline spec. */
export interface PipelineSummary {
  entityRef: string;
  kind: string;
  namespace: string;
  name: string;
  title?: string;
  owner?: string;
  /** The value of the spec annotation (relative path or URL). */
  specLocation: string;
  /** The newest sampled health (null until the sampler has seen it). */
  health: {
    status: 'ok' | 'degraded' | 'down';
    reason: string;
    checkedAt: string;
  } | null;
}

/** `GET /api/lambda-pipeline/pipelines/:namespace/:name/spec` */
export interface PipelineSpecResponse {
  entityRef: string;
  spec: LambdaPipeline;
  sizing: PipelineSizing;
}
