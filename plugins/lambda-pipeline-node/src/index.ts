/**
 * Node.js services shared by the Lambda pipelines backend packages: the spec
 * loader now, and the probes for Kafka, Kafka Connect, ClickHouse, Snowflake,
 * Kubernetes and Airflow as they land.
 *
 * @packageDocumentation
 */

export * from './spec/PipelineSpecService';
export * from './kubernetes/kubeConfig';
export * from './kubernetes/errors';
export * from './kubernetes/objects';
export * from './kubernetes/readiness';
export * from './environments/config';
export * from './probes';
