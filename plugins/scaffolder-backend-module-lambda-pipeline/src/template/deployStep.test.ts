import {
  startTestCluster,
  TestCluster,
  uniqueSuffix,
} from '../__testUtils__/cluster';
import { RenderBackend, startRenderBackend } from '../__testUtils__/render';
import { FORM } from './formVariants';

jest.setTimeout(20 * 60_000);

/**
 * The template's preflight and deploy steps with a configured cluster (the
 * stack's real API server), through the scaffolder's dry-run API as the
 * template editor runs it: a server-side dry run that persists nothing.
 */
describe('Create pipeline: preflight and deploy steps on a configured cluster', () => {
  let cluster: TestCluster;
  let backend: RenderBackend;

  beforeAll(async () => {
    cluster = await startTestCluster();
    backend = await startRenderBackend(
      {},
      {
        ...cluster.config(),
        lambdaPipelines: {
          ...(cluster.config().lambdaPipelines as object),
          publish: { local: { directory: '/tmp/lp-render-repos' } },
        },
      },
    );
  });

  afterAll(async () => {
    await backend?.stop();
  });

  it('checks the cluster and dry-runs the deploy on the server before anything is published', async () => {
    const name = `tpl-${uniqueSuffix()}`;
    const result = await backend.render({ ...FORM, name });
    const status = Object.fromEntries(result.steps.map(s => [s.id, s.status]));
    expect(status).toMatchObject({
      preflight: 'completed',
      deploy: 'completed',
      'publish-platform-local': 'completed',
    });
    const order = result.steps.map(s => s.id);
    expect(order.indexOf('preflight')).toBeLessThan(order.indexOf('deploy'));
    expect(order.indexOf('deploy')).toBeLessThan(
      order.indexOf('publish-platform-local'),
    );
    const log = result.log.join('\n');
    expect(log).toContain(
      "info: Cluster 'lp-stack' can take this pipeline: 6 of 7 checks passed, with warnings about operators (see above).",
    );
    expect(log).toMatch(
      /info: Dry run \(server-side, nothing is persisted\): deploying \d+ objects from platform\/deploy\/overlays\/kind/,
    );
    expect(log).toContain(`info: would be created: Namespace ${name}`);
    const deployText = (
      result.output.text as Array<{ title: string; content: string }>
    ).find(t => t.title === 'Deploy');
    expect(deployText?.content).toMatch(
      /^Dry run: would create \d+, would change 0, left 9 unchanged on cluster 'lp-stack'\.$/,
    );
    expect(
      await cluster.client.read({ apiVersion: 'v1', kind: 'Namespace', name }),
    ).toBeUndefined();
  });

  it('fails at the preflight, naming the failed check, when the cluster cannot take the pipeline', async () => {
    // The dry-run API answers 400 with the failed step's error; no later step ran.
    const error: Error = await backend
      .render({ ...FORM, name: `big-${uniqueSuffix()}`, memoryBudget: '64Gi' })
      .catch(e => e);
    expect(error.message).toMatch(
      /^Dry run of .* failed with HTTP 400: Cluster 'lp-stack' is not ready for this pipeline \(1 of 7 checks failed\):/,
    );
    expect(error.message).toContain(
      "- memory: the cluster's nodes offer 20.0 GiB of allocatable memory (lambda-control-plane: 20.0 GiB), less than the pipeline's memory budget of 64Gi",
    );
  });
});
