import yaml from 'yaml';
import { RenderedFile } from './types';

export type ParsedYamlFile = {
  path: string;
  /** Every non-empty document, as plain JS (empty `---` documents are left out). */
  docs: unknown[];
};

export const isYamlPath = (p: string) => /\.ya?ml$/i.test(p);

/**
 * Helm chart templates (`templates/` next to a `Chart.yaml`) are Go
 * templates, not YAML, until Helm renders them.
 */
export function isHelmTemplate(p: string, files: RenderedFile[]): boolean {
  const match = /^(.*?)templates\//.exec(p);
  return (
    !!match &&
    files.some(f => f.path === `${match[1]}Chart.yaml`) &&
    !p.endsWith('/Chart.yaml')
  );
}

/** The errors of one YAML stream as `path:line:col: message` lines. */
export function yamlErrors(filePath: string, source: string): string[] {
  const lineCounter = new yaml.LineCounter();
  const docs = yaml.parseAllDocuments(source, {
    strict: true,
    prettyErrors: false,
    uniqueKeys: true,
    lineCounter,
  });
  const list = Array.isArray(docs) ? docs : [];
  return list.flatMap(doc =>
    [...doc.errors, ...doc.warnings].map(err => {
      const pos = lineCounter.linePos(err.pos[0]);
      return `${filePath}:${pos.line}:${pos.col}: ${err.code}: ${err.message}`;
    }),
  );
}

/**
 * Parses every `*.yaml`/`*.yml` file (multi-document, strict, unique keys;
 * warnings such as unresolved tags count as errors). Throws one error that
 * lists every problem of every file, each as `path:line:col: message`.
 * Helm chart templates are skipped unless `includeHelmTemplates` is set.
 */
export function parseYamlFiles(
  files: RenderedFile[],
  options: { includeHelmTemplates?: boolean } = {},
): ParsedYamlFile[] {
  const problems: string[] = [];
  const parsed: ParsedYamlFile[] = [];
  for (const file of files) {
    if (
      !isYamlPath(file.path) ||
      (!options.includeHelmTemplates && isHelmTemplate(file.path, files))
    ) {
      continue;
    }
    const errors = yamlErrors(file.path, file.content);
    if (errors.length > 0) {
      problems.push(...errors);
      continue;
    }
    const docs = yaml.parseAllDocuments(file.content, { strict: true });
    parsed.push({
      path: file.path,
      docs: (Array.isArray(docs) ? docs : [])
        .filter(
          doc => !(yaml.isScalar(doc.contents) && doc.contents.source === ''),
        )
        .map(doc => doc.toJS({ maxAliasCount: 1000 })),
    });
  }
  if (problems.length > 0) {
    throw new Error(
      `${problems.length} YAML error(s):\n${problems.join('\n')}`,
    );
  }
  return parsed;
}
