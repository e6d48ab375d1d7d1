import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  readTemplateDirectory,
  renderTemplate,
  RenderBackend,
  startRenderBackend,
} from './render';

jest.setTimeout(120_000);

const TEMPLATE = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: throwaway
  title: Throwaway
spec:
  owner: group:default/data-platform
  type: service
  parameters:
    - title: Values
      required: [x]
      properties:
        x: { type: string }
        colour: { type: string, default: blue }
  steps:
    - id: fetch
      name: Render the skeleton
      action: fetch:template
      input:
        url: ./skeleton
        targetPath: out
        values:
          x: \${{ parameters.x }}
          colour: \${{ parameters.colour }}
    - id: log
      name: Say hello
      action: debug:log
      input:
        message: 'rendered \${{ parameters.x }}'
  output:
    text:
      - title: X
        content: 'x is \${{ parameters.x }}'
`;

describe('renderTemplate', () => {
  let dir: string;
  let backend: RenderBackend | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-render-'));
    fs.writeFileSync(path.join(dir, 'template.yaml'), TEMPLATE);
    fs.mkdirSync(path.join(dir, 'skeleton', 'nested'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'skeleton', 'hello.txt'),
      'x=${{ values.x }}\n{% if values.colour %}colour=${{ values.colour }}{% endif %}\n',
    );
    fs.writeFileSync(
      path.join(dir, 'skeleton', 'nested', 'plain.yaml'),
      'plain: true\n',
    );
  });

  afterAll(async () => {
    await backend?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends every file but template.yaml as directory contents', () => {
    expect(readTemplateDirectory(dir).map(f => f.path)).toEqual([
      'skeleton/hello.txt',
      'skeleton/nested/plain.yaml',
    ]);
  });

  it('renders a template through the real scaffolder dry run', async () => {
    const result = await renderTemplate({
      templateDir: dir,
      values: { x: 'forty-two' },
    });
    expect(result.files).toEqual([
      { path: 'out/hello.txt', content: 'x=forty-two\ncolour=blue\n' },
      { path: 'out/nested/plain.yaml', content: 'plain: true\n' },
    ]);
    expect(result.log).toContain('info: rendered forty-two');
    expect(result.output).toEqual({
      text: [{ title: 'X', content: 'x is forty-two' }],
    });
    expect(result.steps.map(s => [s.id, s.action, s.status])).toEqual([
      ['fetch', 'fetch:template', 'completed'],
      ['log', 'debug:log', 'completed'],
    ]);
  });

  it('reuses one backend across renders and reports invalid values', async () => {
    backend = await startRenderBackend(
      { templateDir: dir },
      { app: { title: 'render test' } },
    );
    const a = await backend.render({ x: 'a', colour: 'red' });
    const b = await backend.render({ x: 'b' }, { applyDefaults: false });
    expect(a.files[0].content).toBe('x=a\ncolour=red\n');
    expect(b.files[0].content).toBe('x=b\n\n');
    await expect(backend.render({ colour: 'red' })).rejects.toThrow(
      /HTTP 400[\s\S]*requires property "x"/,
    );
  });
});
