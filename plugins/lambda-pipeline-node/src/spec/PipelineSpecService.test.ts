import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { EXAMPLE_PIPELINE_SPEC } from '@internal/backstage-plugin-lambda-pipeline-common';
import fs from 'fs';
import os from 'os';
import path from 'path';
import yaml from 'yaml';
import { DefaultPipelineSpecService } from './PipelineSpecService';

const entityAt = (location: string, spec = './pipeline.yaml'): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'System',
  metadata: {
    name: 'orders',
    annotations: {
      'backstage.io/managed-by-location': location,
      'lambda-pipelines.io/spec': spec,
    },
  },
  spec: { owner: 'data-platform' },
});

describe('DefaultPipelineSpecService', () => {
  let dir: string;
  const urlReader = mockServices.urlReader.mock();
  const service = DefaultPipelineSpecService.create({ urlReader });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-spec-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a spec next to a file location and fills defaults', async () => {
    fs.writeFileSync(
      path.join(dir, 'pipeline.yaml'),
      yaml.stringify(EXAMPLE_PIPELINE_SPEC),
    );
    const spec = await service.loadSpec(
      entityAt(`file:${path.join(dir, 'catalog-info.yaml')}`),
    );
    expect(spec.metadata.name).toBe('orders');
    expect(spec.spec.throughput.targetEventsPerSecond).toBe(20000);
  });

  it('resolves relative paths against URL locations and reads through the UrlReader', async () => {
    urlReader.readUrl.mockResolvedValue({
      buffer: async () => Buffer.from(yaml.stringify(EXAMPLE_PIPELINE_SPEC)),
    } as any);
    const entity = entityAt(
      'url:https://git.example.com/org/repo/blob/main/catalog-info.yaml',
    );
    expect(service.locateSpec(entity)).toBe(
      'https://git.example.com/org/repo/blob/main/pipeline.yaml',
    );
    await expect(service.loadSpec(entity)).resolves.toMatchObject({
      kind: 'LambdaPipeline',
    });
    expect(urlReader.readUrl).toHaveBeenCalledWith(
      'https://git.example.com/org/repo/blob/main/pipeline.yaml',
    );
  });

  it('says which entity lacks the annotation and which file is missing', async () => {
    const entity = entityAt(`file:${path.join(dir, 'catalog-info.yaml')}`);
    delete entity.metadata.annotations!['lambda-pipelines.io/spec'];
    expect(() => service.locateSpec(entity)).toThrow(
      new NotFoundError(
        "Entity System:default/orders has no 'lambda-pipelines.io/spec' annotation",
      ),
    );
    await expect(
      service.loadSpec(entityAt(`file:${path.join(dir, 'catalog-info.yaml')}`)),
    ).rejects.toThrow(NotFoundError);
  });

  it('reports invalid YAML and invalid specs with the file location', async () => {
    const file = path.join(dir, 'pipeline.yaml');
    const entity = entityAt(`file:${path.join(dir, 'catalog-info.yaml')}`);
    fs.writeFileSync(file, 'metadata: [unclosed');
    await expect(service.loadSpec(entity)).rejects.toThrow(InputError);
    fs.writeFileSync(
      file,
      yaml.stringify({
        ...EXAMPLE_PIPELINE_SPEC,
        metadata: { ...EXAMPLE_PIPELINE_SPEC.metadata, name: 'Bad_Name' },
      }),
    );
    await expect(service.loadSpec(entity)).rejects.toThrow(
      new RegExp(
        `^Pipeline spec at ${file}: Invalid pipeline spec:\\nmetadata\\.name: 'Bad_Name' is not a DNS-safe`,
      ),
    );
  });
});
