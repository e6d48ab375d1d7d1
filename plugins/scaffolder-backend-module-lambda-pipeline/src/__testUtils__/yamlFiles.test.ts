import { parseYamlFiles } from './yamlFiles';

describe('parseYamlFiles', () => {
  it('parses every YAML file, all documents, skipping empty ones', () => {
    expect(
      parseYamlFiles([
        { path: 'a.yaml', content: 'a: 1\n---\nb: [1, 2]\n---\n' },
        { path: 'dir/b.yml', content: 'x: "y"\n' },
        { path: 'README.md', content: 'not: [yaml\n' },
        { path: 'chart/Chart.yaml', content: 'name: c\n' },
        { path: 'chart/templates/d.yaml', content: '{{- if .Values.x }}\n' },
      ]),
    ).toEqual([
      { path: 'a.yaml', docs: [{ a: 1 }, { b: [1, 2] }] },
      { path: 'dir/b.yml', docs: [{ x: 'y' }] },
      { path: 'chart/Chart.yaml', docs: [{ name: 'c' }] },
    ]);
  });

  it('throws one error naming every broken file with its line', () => {
    let message = '';
    try {
      parseYamlFiles([
        { path: 'ok.yaml', content: 'a: 1\n' },
        { path: 'dup.yaml', content: 'a: 1\nb: 2\na: 3\n' },
        { path: 'bad.yaml', content: 'a: 1\n---\nb: [1, 2\n' },
        { path: 'tag.yaml', content: 'a: !!nope 1\n' },
      ]);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^3 YAML error\(s\):/);
    expect(message).toContain('dup.yaml:3:1: DUPLICATE_KEY');
    expect(message).toContain('bad.yaml:4:1: BAD_INDENT');
    expect(message).toContain('tag.yaml:1:4: TAG_RESOLVE_FAILED');
    expect(message).not.toContain('ok.yaml');
  });
});
