/**
 * The pipeline spec (schema, types, JSON Schema), naming rules, sizing math
 * and annotations shared by every Lambda pipelines package.
 *
 * @packageDocumentation
 */

export * from './annotations';
export * from './spec/schema';
export * from './spec/columns';
export * from './spec/secrets';
export * from './spec/validate';
export * from './spec/jsonSchema';
export * from './spec/example';
export * from './spec/form';
export * from './naming/rules';
export * from './naming/hash';
export * from './naming/pipelineNames';
export * from './sizing/quantity';
export * from './sizing/sizing';
export * from './sizing/plan';
export * from './api/types';
export * from './api/monitoring';
export * from './api/datasets';
export * from './spec/typeMapping';
export * from './spec/layerColumns';
export * from './versions/versions';
export * from './network/connections';
export * from './spec/limits';
