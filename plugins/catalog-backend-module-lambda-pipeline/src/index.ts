/**
 * Catalog module of Lambda pipelines for Backstage.
 *
 * @packageDocumentation
 */

export { catalogModuleLambdaPipeline as default } from './module';
export { LambdaPipelineSpecProcessor } from './processor/LambdaPipelineSpecProcessor';
