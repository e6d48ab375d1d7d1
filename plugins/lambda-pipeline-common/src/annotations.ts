/**
 * Annotations our plugins put on and look for on catalog entities.
 */

/**
 * On a pipeline's System/Component: where its spec file lives, relative to the
 * entity's own location (`./pipeline.yaml`) or as an absolute URL.
 */
export const ANNOTATION_PIPELINE_SPEC = 'lambda-pipelines.io/spec';

/**
 * On every entity that belongs to a pipeline (datasets included): the
 * pipeline's entity reference, so any dataset can link to the pipeline tab.
 */
export const ANNOTATION_PIPELINE_REF = 'lambda-pipelines.io/pipeline';

/** Kubernetes label carrying the pipeline name on every generated object. */
export const LABEL_PIPELINE = 'lambda-pipelines.io/pipeline';

/** Field manager used for server-side apply of generated manifests. */
export const FIELD_MANAGER = 'lambda-pipelines';

/** On every dataset entity: the environment whose systems hold it. */
export const ANNOTATION_ENVIRONMENT = 'lambda-pipelines.io/environment';

/** On every dataset entity: `<system>:<qualified name>`, e.g. `kafka:orders.public.orders`. */
export const ANNOTATION_DATASET = 'lambda-pipelines.io/dataset';

/** Label on dataset entities: `true` for a pipeline's datasets, `false` for those no pipeline owns. */
export const LABEL_MANAGED = 'lambda-pipelines.io/managed';

/** Label on a pipeline's datasets: source, ingest, lake, speed, batch, marts or auxiliary. */
export const LABEL_LAYER = 'lambda-pipelines.io/layer';
