import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { EXAMPLE_PIPELINE_SPEC } from '@internal/backstage-plugin-lambda-pipeline-common';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import yaml from 'yaml';
import { lambdaPipelinePlugin } from './plugin';
// Starting a real test backend takes several seconds on a busy 2-core machine.
jest.setTimeout(60_000);

describe('lambda-pipeline backend', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-backend-'));
    fs.writeFileSync(
      path.join(dir, 'pipeline.yaml'),
      yaml.stringify(EXAMPLE_PIPELINE_SPEC),
    );
    fs.writeFileSync(
      path.join(dir, 'broken.yaml'),
      yaml.stringify({
        ...EXAMPLE_PIPELINE_SPEC,
        spec: {
          ...EXAMPLE_PIPELINE_SPEC.spec,
          throughput: { targetEventsPerSecond: 0 },
        },
      }),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const pipelineEntity = (name: string, spec: string) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: {
      name,
      namespace: 'default',
      title: `Pipeline ${name}`,
      annotations: {
        'backstage.io/managed-by-location': `file:${path.join(
          dir,
          'catalog-info.yaml',
        )}`,
        'lambda-pipelines.io/spec': spec,
      },
    },
    spec: { owner: 'group:default/data-platform' },
  });

  const start = () =>
    startTestBackend({
      features: [
        lambdaPipelinePlugin,
        mockServices.urlReader.factory(),
        catalogServiceMock.factory({
          entities: [
            pipelineEntity('orders', './pipeline.yaml'),
            pipelineEntity('broken', './broken.yaml'),
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: { name: 'website' },
              spec: {},
            },
            {
              // The jobs of the orders pipeline: listed as the orders System.
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: {
                name: 'orders-pipeline',
                namespace: 'default',
                annotations: { 'lambda-pipelines.io/spec': './pipeline.yaml' },
              },
              spec: { owner: 'group:default/data-platform', system: 'orders' },
            },
            {
              // A Component with a spec of its own is a pipeline.
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: {
                name: 'standalone',
                namespace: 'default',
                annotations: {
                  'backstage.io/managed-by-location': `file:${path.join(
                    dir,
                    'catalog-info.yaml',
                  )}`,
                  'lambda-pipelines.io/spec': './pipeline.yaml',
                },
              },
              spec: { owner: 'group:default/data-platform', system: 'broken' },
            },
          ],
        }),
      ],
    });

  it('answers the health route without credentials', async () => {
    const { server } = await start();
    await request(server)
      .get('/api/lambda-pipeline/health')
      .set('Authorization', 'Bearer mock-none-token')
      .expect(200, { status: 'ok' });
  });

  it('requires credentials for pipeline data', async () => {
    const { server } = await start();
    await request(server)
      .get('/api/lambda-pipeline/pipelines')
      .set('Authorization', 'Bearer mock-none-token')
      .expect(401);
  });

  it('lists one entry per pipeline: entities that carry a spec, a System standing for its jobs', async () => {
    const { server } = await start();
    const res = await request(server)
      .get('/api/lambda-pipeline/pipelines')
      .expect(200);
    expect(res.body.items.map((p: any) => p.entityRef).sort()).toEqual([
      'component:default/standalone',
      'system:default/broken',
      'system:default/orders',
    ]);
    expect(res.body.items.find((p: any) => p.name === 'orders')).toEqual({
      entityRef: 'system:default/orders',
      kind: 'System',
      namespace: 'default',
      name: 'orders',
      owner: 'group:default/data-platform',
      title: 'Pipeline orders',
      specLocation: './pipeline.yaml',
      environment: 'dev',
      // Not sampled yet: no health, no rate, no freshness; the target is the spec's.
      health: null,
      throughput: { eventsPerSecond: null, targetEventsPerSecond: 20000 },
      freshness: null,
    });
    // A spec that does not validate still lists the pipeline, without figures.
    expect(res.body.items.find((p: any) => p.name === 'broken')).toMatchObject({
      environment: null,
      throughput: null,
      freshness: null,
    });
  });

  it('serves a validated spec with its sizing', async () => {
    const { server } = await start();
    const res = await request(server)
      .get('/api/lambda-pipeline/pipelines/default/orders/spec')
      .expect(200);
    expect(res.body.spec.spec.throughput.targetEventsPerSecond).toBe(20000);
    expect(res.body.sizing.partitions).toBe(4);
    expect(res.body.sizing.memory.fits).toBe(true);
    // No environment configured and a file:// DAG repository: nothing a browser can open.
    expect(res.body.links).toEqual([]);
  });

  it('answers 400 naming the field for an invalid spec and 404 for an unknown pipeline', async () => {
    const { server } = await start();
    const bad = await request(server)
      .get('/api/lambda-pipeline/pipelines/default/broken/spec')
      .expect(400);
    expect(bad.body.error.message).toContain(
      'spec.throughput.targetEventsPerSecond: targetEventsPerSecond must be greater than 0',
    );
    const missing = await request(server)
      .get('/api/lambda-pipeline/pipelines/default/nope/spec')
      .expect(404);
    expect(missing.body.error.message).toBe(
      'No pipeline entity default/nope in the catalog',
    );
  });
});
