import { execFileSync } from 'child_process';
import path from 'path';
import { PACKAGE_ROOT } from './cache';

const CLI = path.resolve(PACKAGE_ROOT, '../../stack/cli.mjs');

/**
 * Brings up the named components of the local real stack (a no-op for what is
 * already up; runtimes such as `spark` are installed) and returns its
 * connection settings (`LP_*`).
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

/** Runs one statement over ClickHouse's HTTP interface; returns the body. */
export async function clickhouse(
  env: Record<string, string>,
  sql: string,
): Promise<string> {
  const response = await fetch(`${env.LP_CLICKHOUSE_URL}/`, {
    method: 'POST',
    body: sql,
    headers: {
      'X-ClickHouse-User': env.LP_CLICKHOUSE_USER,
      'X-ClickHouse-Key': env.LP_CLICKHOUSE_PASSWORD ?? '',
    },
  });
  const body = await response.text();
  if (!response.ok) {
    throw new Error(`ClickHouse: ${body.slice(0, 500)} (statement: ${sql})`);
  }
  return body.trim();
}
