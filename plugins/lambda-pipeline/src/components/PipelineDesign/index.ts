export { PipelineDesign } from './PipelineDesign';
