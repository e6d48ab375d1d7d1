import { lambdaPipelinePlugin } from './plugin';

describe('lambda-pipeline', () => {
  it('should export plugin', () => {
    expect(lambdaPipelinePlugin).toBeDefined();
  });
});
