export { lambdaPipelinePlugin as default } from './plugin';
