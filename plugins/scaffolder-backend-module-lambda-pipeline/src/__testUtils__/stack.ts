export { stackUp } from '@internal/backstage-plugin-lambda-pipeline-node/testUtils';

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
