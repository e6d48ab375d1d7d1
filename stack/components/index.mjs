// The stack's components in start order. Each lives in ./<name>.mjs.
import fs from 'node:fs';

const ORDER = [
  'postgres',
  'kafka',
  'connect',
  'clickhouse',
  's3',
  'snowflake',
  'kubernetes',
  'registry',
  'spark',
  'podman',
  'kube-node',
  'base-images',
  'airflow',
  'airflow-api',
  'dbt',
];
const here = new URL('.', import.meta.url);

export const components = await Promise.all(
  ORDER.filter(name => fs.existsSync(new URL(`./${name}.mjs`, here))).map(
    async name => (await import(new URL(`./${name}.mjs`, here).href)).default,
  ),
);
