/***/
/**
 * The lambda-pipeline-provider module for @backstage/plugin-catalog-backend
 *
 * @packageDocumentation
 */

export { catalogModuleLambdaPipeline as default } from './module';
