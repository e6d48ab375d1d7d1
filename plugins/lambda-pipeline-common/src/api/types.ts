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
  /** The spec's environment (null when the spec cannot be read). */
  environment: string | null;
  /** The newest sampled health (null until the sampler has seen it). */
  health: {
    status: 'ok' | 'degraded' | 'down';
    reason: string;
    checkedAt: string;
  } | null;
  /**
   * Kafka ingest rate between the two newest samples against the spec's
   * target (null when the spec cannot be read; rate null until two samples).
   */
  throughput: {
    eventsPerSecond: number | null;
    targetEventsPerSecond: number;
  } | null;
  /** Freshness per layer in the newest sample (null until the sampler has seen it). */
  freshness: {
    /** Newest event time in the speed layer. */
    speedNewestEvent: string | null;
    /** Event time the batch layer is complete up to. */
    batchCompleteUpTo: string | null;
  } | null;
}

/** A place to look at the pipeline outside Backstage. */
export interface PipelineLink {
  id: 'airflow' | 'spark-ui' | 'grafana' | 'dag-repository';
  title: string;
  url: string;
}

/** `GET /api/lambda-pipeline/pipelines/:namespace/:name/spec` */
export interface PipelineSpecResponse {
  entityRef: string;
  spec: LambdaPipeline;
  sizing: PipelineSizing;
  /**
   * Airflow's DAGs, the Spark UI and Grafana of the spec's environment (as
   * configured for it), and the DAG repository. The platform repository is
   * the entity's own source location.
   */
  links: PipelineLink[];
}
