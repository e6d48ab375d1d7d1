import fs from 'fs';
import os from 'os';
import path from 'path';
import yaml from 'yaml';
import { kustomizeBuild } from './kustomize';

// The first run builds kustomize from the Go module proxy (about a minute).
jest.setTimeout(900_000);

const write = (root: string, files: Record<string, string>) => {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
};

describe('kustomizeBuild', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-kustomize-'));
    write(dir, {
      'base/kustomization.yaml':
        'resources: [deployment.yaml]\nlabels:\n  - pairs: { app.kubernetes.io/part-of: orders }\n',
      'base/deployment.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: { name: web }',
        'spec:',
        '  replicas: 1',
        '  selector: { matchLabels: { app: web } }',
        '  template:',
        '    metadata: { labels: { app: web } }',
        '    spec:',
        '      containers: [{ name: web, image: nginx:1.29 }]',
        '',
      ].join('\n'),
      'overlays/local/kustomization.yaml': [
        'resources: [../../base]',
        'namespace: orders',
        'namePrefix: local-',
        'patches:',
        '  - path: replicas.yaml',
        '',
      ].join('\n'),
      'overlays/local/replicas.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec: { replicas: 3 }\n',
      'broken/kustomization.yaml': 'resources: [missing.yaml]\n',
    });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('builds an overlay with its patch applied', () => {
    const docs = yaml
      .parseAllDocuments(kustomizeBuild(path.join(dir, 'overlays/local')))
      .map(d => d.toJS());
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({
      kind: 'Deployment',
      metadata: {
        name: 'local-web',
        namespace: 'orders',
        labels: { 'app.kubernetes.io/part-of': 'orders' },
      },
      spec: { replicas: 3 },
    });
  });

  it("fails with kustomize's message", () => {
    expect(() => kustomizeBuild(path.join(dir, 'broken'))).toThrow(
      /kustomize build .*broken failed[\s\S]*missing\.yaml/,
    );
  });
});
