/**
 * Scaffolder actions of Lambda pipelines for Backstage.
 *
 * @packageDocumentation
 */

export { scaffolderModuleLambdaPipeline as default } from './module';
export {
  createValidateSpecAction,
  VALIDATE_SPEC_ACTION_ID,
} from './actions/validateSpec';
export {
  createPlanPipelineAction,
  PLAN_PIPELINE_ACTION_ID,
} from './actions/planPipeline';
