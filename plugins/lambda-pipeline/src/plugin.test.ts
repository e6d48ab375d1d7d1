import { lambdaPipelinePlugin } from './plugin';

describe('lambda-pipeline frontend plugin', () => {
  it('has the id the backend and the app refer to', () => {
    expect(lambdaPipelinePlugin.id).toBe('lambda-pipeline');
  });
});
