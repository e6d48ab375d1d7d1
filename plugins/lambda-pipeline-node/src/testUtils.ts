/**
 * Test support shared by the Lambda pipelines backend packages: the local
 * real stack (`stack/`), which their integration tests run against.
 *
 * @packageDocumentation
 */
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { execFileSync } from 'child_process';

/** The stack's CLI: the stack lives in this repository, next to the plugins. */
const CLI = resolvePackagePath(
  '@internal/backstage-plugin-lambda-pipeline-node',
  '../../stack/cli.mjs',
);

/**
 * Brings up components of the local real stack and what they depend on (a
 * no-op for what is already up; runtimes such as `spark` are installed) and
 * returns its connection settings (`LP_*`).
 */
export function stackUp(components: string[]): Record<string, string> {
  execFileSync(process.execPath, [CLI, 'up', ...components], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 30 * 60_000,
  });
  return JSON.parse(
    execFileSync(process.execPath, [CLI, 'env', '--json'], {
      encoding: 'utf8',
    }),
  );
}
