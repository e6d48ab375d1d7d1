import { mockServices } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createDeployPipelineAction } from './deployPipeline';

const makeAction = (data: Record<string, any> = {}) =>
  createDeployPipelineAction({ config: mockServices.rootConfig({ data }) });

const makeContext = (input: Record<string, unknown> = {}) =>
  createMockActionContext({
    input: {
      manifestsPath: 'platform/deploy/overlays/kind',
      namespace: 'orders',
      ...input,
    },
  });

const outputs = (ctx: ReturnType<typeof createMockActionContext>) =>
  Object.fromEntries((ctx.output as jest.Mock).mock.calls);

const WITH_CLUSTER = {
  lambdaPipelines: {
    kubernetes: {
      cluster: { name: 'kind-lambda', url: 'https://127.0.0.1:6443' },
    },
  },
};

describe('lambda:kubernetes:deploy', () => {
  it('skips with instructions when no cluster is configured', async () => {
    const ctx = makeContext();
    const info = jest.spyOn(ctx.logger, 'info');
    await makeAction().handler(ctx);
    expect(info).toHaveBeenCalledWith(
      'Skipping deploy: no Kubernetes cluster is configured (set lambdaPipelines.kubernetes.cluster in app-config). ' +
        'To deploy by hand: cd platform && ./scripts/up.sh (or scripts\\up.ps1 on Windows)',
    );
    expect(outputs(ctx)).toEqual({
      deployed: false,
      reason:
        'no Kubernetes cluster is configured (set lambdaPipelines.kubernetes.cluster in app-config)',
    });
  });

  it('says so in a dry run', async () => {
    const ctx = { ...makeContext(), isDryRun: true };
    const info = jest.spyOn(ctx.logger, 'info');
    await makeAction().handler(ctx);
    expect(info).toHaveBeenCalledWith(
      expect.stringMatching(
        /^Skipping deploy \(dry run\): no Kubernetes cluster is configured/,
      ),
    );
    expect(outputs(ctx).deployed).toBe(false);
  });

  it('fails clearly, without pretending to deploy, when a cluster is configured', async () => {
    const ctx = makeContext();
    const error = await makeAction(WITH_CLUSTER)
      .handler(ctx)
      .catch(e => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      "Cannot deploy platform/deploy/overlays/kind to namespace orders on cluster 'kind-lambda': " +
        'applying manifests from Backstage is not available yet in this version. ' +
        'To deploy by hand: cd platform && ./scripts/up.sh (or scripts\\up.ps1 on Windows). ' +
        'Remove lambdaPipelines.kubernetes.cluster from app-config to skip this step instead.',
    );
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('fails the same way in a dry run', async () => {
    await expect(
      makeAction(WITH_CLUSTER).handler({ ...makeContext(), isDryRun: true }),
    ).rejects.toThrow(
      /\(dry run\): applying manifests from Backstage is not available yet/,
    );
  });

  it('names the field of an invalid input', async () => {
    await expect(
      makeAction().handler(makeContext({ namespace: 'Orders_EU' })),
    ).rejects.toThrow(
      /^namespace 'Orders_EU' is not a valid Kubernetes namespace/,
    );
    await expect(
      makeAction().handler(makeContext({ manifestsPath: '../elsewhere' })),
    ).rejects.toThrow(
      /^manifestsPath '\.\.\/elsewhere' must be a directory inside the task workspace/,
    );
  });

  it('fails naming the key of an incomplete cluster config', async () => {
    await expect(
      makeAction({
        lambdaPipelines: { kubernetes: { cluster: { url: 'https://x' } } },
      }).handler(makeContext()),
    ).rejects.toThrow(/lambdaPipelines\.kubernetes\.cluster\.name/);
  });
});
