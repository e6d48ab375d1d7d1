import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { PipelineSpecService } from '@internal/backstage-plugin-lambda-pipeline-node';
import { LambdaPipelineSpecProcessor } from './LambdaPipelineSpecProcessor';

const entity = (annotations: Record<string, string> = {}): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'System',
  metadata: { name: 'orders', annotations },
  spec: { owner: 'data-platform' },
});
const location = { type: 'file', target: '/repo/catalog-info.yaml' };

describe('LambdaPipelineSpecProcessor', () => {
  const specs: jest.Mocked<PipelineSpecService> = {
    locateSpec: jest.fn(),
    loadSpec: jest.fn(),
  };
  const processor = LambdaPipelineSpecProcessor.create({
    specs,
    logger: mockServices.logger.mock(),
  });

  beforeEach(() => jest.resetAllMocks());

  it('leaves entities without a spec alone', async () => {
    const emit = jest.fn();
    await processor.postProcessEntity(entity(), location, emit);
    expect(specs.loadSpec).not.toHaveBeenCalled();
    expect(emit).not.toHaveBeenCalled();
  });

  it('emits nothing for a valid spec', async () => {
    specs.loadSpec.mockResolvedValue({} as any);
    const emit = jest.fn();
    const input = entity({ 'lambda-pipelines.io/spec': './pipeline.yaml' });
    await expect(
      processor.postProcessEntity(input, location, emit),
    ).resolves.toBe(input);
    expect(emit).not.toHaveBeenCalled();
  });

  it('reports an invalid spec as a processing error naming the entity and field', async () => {
    specs.loadSpec.mockRejectedValue(
      new InputError(
        'Invalid pipeline spec:\nspec.throughput.targetEventsPerSecond: must be greater than 0',
      ),
    );
    const emit = jest.fn();
    await processor.postProcessEntity(
      entity({ 'lambda-pipelines.io/spec': './pipeline.yaml' }),
      location,
      emit,
    );
    expect(emit).toHaveBeenCalledWith({
      type: 'error',
      location,
      error: expect.objectContaining({
        message:
          'System:default/orders: Invalid pipeline spec:\nspec.throughput.targetEventsPerSecond: must be greater than 0',
      }),
    });
  });
});
