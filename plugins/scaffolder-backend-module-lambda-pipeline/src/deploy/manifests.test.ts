import fs from 'fs';
import os from 'os';
import path from 'path';
import { ensureKustomize } from '../__testUtils__/kustomize';
import { loadManifests, parseManifests } from './manifests';

jest.setTimeout(10 * 60_000);

describe('manifests', () => {
  it('parses multi-document YAML and flattens lists', () => {
    const manifests = parseManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Secret, metadata: {name: b}}\n',
      'x.yaml',
    );
    expect(
      manifests.map(
        m => `${m.object.kind}/${m.object.metadata.name} @ ${m.source}`,
      ),
    ).toEqual([
      'ConfigMap/a @ x.yaml, document 1',
      'Secret/b @ x.yaml, document 3',
    ]);
  });

  it('names the file and document of what it cannot deploy', () => {
    expect(() =>
      parseManifests('kind: ConfigMap\nmetadata: {name: a}\n', 'a.yaml'),
    ).toThrow(
      'a.yaml, document 1 has no apiVersion: every object needs apiVersion, kind and metadata.name',
    );
    expect(() =>
      parseManifests(
        'apiVersion: v1\nkind: Pod\nmetadata: {generateName: x-}\n',
        'b.yaml',
      ),
    ).toThrow(
      /^b.yaml, document 1 \(Pod\) has no metadata.name; generateName is not supported/,
    );
    expect(() => parseManifests('a: [1\n', 'c.yaml')).toThrow(
      /^c.yaml, document 1 is not valid YAML/,
    );
  });

  it('builds a kustomization with kustomize, and reads plain directories file by file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-manifests-'));
    fs.mkdirSync(path.join(dir, 'k'));
    fs.writeFileSync(
      path.join(dir, 'k', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
    );
    fs.writeFileSync(
      path.join(dir, 'k', 'kustomization.yaml'),
      'namespace: ns1\nresources: [cm.yaml]\n',
    );
    const built = await loadManifests(path.join(dir, 'k'), {
      kustomizeCommand: ensureKustomize(),
    });
    expect(built.map(m => m.object.metadata.namespace)).toEqual(['ns1']);
    await expect(
      loadManifests(path.join(dir, 'k'), {
        kustomizeCommand: '/nonexistent/kustomize',
      }),
    ).rejects.toThrow(
      /kustomize is needed to build .* but '\/nonexistent\/kustomize' was not found/,
    );
    fs.rmSync(path.join(dir, 'k', 'kustomization.yaml'));
    const plain = await loadManifests(path.join(dir, 'k'), {
      kustomizeCommand: 'unused',
    });
    expect(plain.map(m => m.source)).toEqual(['cm.yaml, document 1']);
    await expect(
      loadManifests(path.join(dir, 'missing'), { kustomizeCommand: 'unused' }),
    ).rejects.toThrow(/is not a directory/);
  });
});
