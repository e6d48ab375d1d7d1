export { lambdaPipelinePlugin as default } from './plugin';
export { lambdaPipelineApiRef } from './api/LambdaPipelineApi';
export type { LambdaPipelineApi } from './api/LambdaPipelineApi';
export { LambdaPipelineClient } from './api/LambdaPipelineClient';
