import { RenderedFile } from './types';

/** Nunjucks expressions over the scaffolder context (`{{ values.x }}`). */
const CONTEXT_EXPRESSION =
  /(?<!\$)\{\{-?\s*(values|parameters|steps|secrets|user)\b/;
/** `${{ ... }}` expressions, with the first word inside. */
const DOLLAR_EXPRESSION = /\$\{\{\s*([A-Za-z_]*)/g;
/** Nunjucks/Jinja block tags. */
const BLOCK_TAG = /\{%|%\}/;

/** GitHub Actions files, where `${{ github.sha }}` and the like belong. */
const GITHUB_ACTIONS_FILE =
  /(^|\/)\.github\/(workflows|actions)\/|(^|\/)action\.ya?ml$/;
const GITHUB_ACTIONS_EXPRESSION = new Set(
  'github env vars secrets inputs steps needs matrix strategy runner job jobs hashFiles format contains startsWith endsWith toJSON fromJSON join always success failure cancelled'.split(
    ' ',
  ),
);

/**
 * Folders holding a dbt project (a `dbt_project.yml`): dbt renders its own
 * Jinja (`{% if is_incremental() %}`, `{{ ref('x') }}`), so block tags there
 * are the project's, not leftovers of the scaffolder.
 */
export function dbtProjectDirs(files: RenderedFile[]): string[] {
  return files
    .filter(
      f => f.path === 'dbt_project.yml' || f.path.endsWith('/dbt_project.yml'),
    )
    .map(f => f.path.slice(0, -'dbt_project.yml'.length));
}

export type UnrenderedOptions = {
  /**
   * Files whose own language is Jinja (where `{% %}` is legitimate). Defaults
   * to every file of a dbt project; `${{` and `{{ values.x }}` (and
   * `parameters`, `steps`, `secrets`, `user`) are reported there as well.
   */
  jinjaNative?: (path: string) => boolean;
};

/**
 * Lines that still hold template syntax after rendering, as
 * `path:line: text`: `${{ }}` expressions, `{{ values.x }}`-style Nunjucks
 * expressions over the scaffolder context, and `{% %}` block tags.
 * Helm (`{{ .Release.Name }}`), Prometheus (`{{ $labels.pod }}`) and other
 * `{{ }}` syntax is not reported, nor are GitHub Actions expressions
 * (`${{ github.sha }}`, `${{ secrets.X }}`...) in `.github/workflows/`,
 * `.github/actions/` and `action.yml` files.
 */
export function findUnrenderedSyntax(
  files: RenderedFile[],
  options: UnrenderedOptions = {},
): string[] {
  const dbtDirs = dbtProjectDirs(files);
  const jinjaNative =
    options.jinjaNative ??
    ((p: string) => dbtDirs.some(dir => p.startsWith(dir)));
  const findings: string[] = [];
  for (const file of files) {
    if (file.content.includes('\u0000')) {
      continue; // binary
    }
    const blockTagsAllowed = jinjaNative(file.path);
    const githubActions = GITHUB_ACTIONS_FILE.test(file.path);
    const dollarLeftover = (text: string) =>
      [...text.matchAll(DOLLAR_EXPRESSION)].some(
        m => !githubActions || !GITHUB_ACTIONS_EXPRESSION.has(m[1]),
      );
    file.content.split('\n').forEach((text, index) => {
      if (
        dollarLeftover(text) ||
        CONTEXT_EXPRESSION.test(text) ||
        (!blockTagsAllowed && BLOCK_TAG.test(text))
      ) {
        const shown = text.trim();
        findings.push(
          `${file.path}:${index + 1}: ${
            shown.length > 200 ? `${shown.slice(0, 200)}...` : shown
          }`,
        );
      }
    });
  }
  return findings;
}
