export { PipelineTab } from './PipelineTab';
