import { EXAMPLE_PIPELINE_SPEC } from '@internal/backstage-plugin-lambda-pipeline-common';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { InputError } from '@backstage/errors';
import { createValidateSpecAction } from './validateSpec';

describe('lambda:spec:validate', () => {
  const action = createValidateSpecAction();

  it('outputs the validated spec with defaults and its sizing', async () => {
    const ctx = createMockActionContext({
      input: { spec: EXAMPLE_PIPELINE_SPEC as any },
    });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('name', 'orders');
    expect(ctx.output).toHaveBeenCalledWith('partitions', 4);
    expect(ctx.output).toHaveBeenCalledWith('speedExecutors', 1);
    expect(ctx.output).toHaveBeenCalledWith('memoryBudgetMiB', 16384);
    const spec = (ctx.output as jest.Mock).mock.calls.find(
      ([k]) => k === 'spec',
    )[1];
    expect(spec.spec.throughput.targetEventsPerSecond).toBe(20000);
  });

  it('fails with every problem named by field, and logs them', async () => {
    const ctx = createMockActionContext({
      input: {
        spec: {
          ...EXAMPLE_PIPELINE_SPEC,
          metadata: { ...EXAMPLE_PIPELINE_SPEC.metadata, name: 'Orders!' },
          spec: {
            ...EXAMPLE_PIPELINE_SPEC.spec,
            resources: { memoryBudget: '8Gi' },
          },
        } as any,
      },
    });
    const error = await action.handler(ctx).catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(
      /^Invalid pipeline spec:\nmetadata\.name: 'Orders!' is not a DNS-safe pipeline name/,
    );
    expect(error.message).toMatch(
      /\nspec\.resources\.memoryBudget: 8Gi is below the 16\.\d GiB this pipeline needs/,
    );
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('runs the same checks in a dry run and says so', async () => {
    const ctx = {
      ...createMockActionContext({
        input: { spec: EXAMPLE_PIPELINE_SPEC as any },
      }),
      isDryRun: true,
    };
    const info = jest.spyOn(ctx.logger, 'info');
    await action.handler(ctx);
    expect(info).toHaveBeenCalledWith(
      expect.stringMatching(/^Pipeline 'orders' is valid \(dry run\)/),
    );
    expect(action.supportsDryRun).toBe(true);
  });
});
