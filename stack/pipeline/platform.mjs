// A pipeline created from the template, as its two published repositories
// hold it: the platform repository (pipeline.yaml, jobs/, deploy/, sql/) and
// the DAG repository (lambda_pipeline/, dbt/). Everything the local profile
// runs is read from these files, so what runs here is what the repositories
// would deploy; only addresses and credentials are swapped for the stack's.
import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

const read = (dir, rel) => {
  const file = path.join(dir, rel);
  if (!fs.existsSync(file)) {
    throw new Error(
      `${dir} is not a rendered platform repository: ${rel} is missing (render one with the "Create pipeline" template)`,
    );
  }
  return fs.readFileSync(file, 'utf8');
};

const documents = text =>
  parseAllDocuments(text)
    .map(d => d.toJSON())
    .filter(Boolean);

/** The block scalar `key: |` of a ConfigMap in a YAML file, unindented. */
function configMapEntry(text, key) {
  const doc = documents(text).find(
    d => d.kind === 'ConfigMap' && d.data?.[key],
  );
  if (!doc) throw new Error(`no ConfigMap with ${key}`);
  return doc.data[key];
}

/** SQL text split into statements (no statement here holds a `;` inside a string). */
export function statements(sql) {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map(s => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

/**
 * Reads a rendered platform repository (and, when given or found beside it,
 * the DAG repository `<name>-dags`).
 */
export function readPlatform(platformDir, dagsDir) {
  const dir = path.resolve(platformDir);
  const spec = parse(read(dir, 'pipeline.yaml'));
  const plan = JSON.parse(read(dir, 'jobs/pipeline.json'));
  const name = plan.pipeline;
  const connectors = documents(read(dir, 'deploy/base/kafka/connectors.yaml'));
  const cdc = connectors.find(c =>
    /PostgresConnector$/.test(c?.spec?.class ?? ''),
  );
  const lake = connectors.find(c =>
    /IcebergSinkConnector$/.test(c?.spec?.class ?? ''),
  );
  if (!cdc)
    throw new Error(
      `${dir}: deploy/base/kafka/connectors.yaml has no Debezium connector`,
    );
  const topics = documents(read(dir, 'deploy/base/kafka/topics.yaml'))
    .filter(d => d.kind === 'KafkaTopic')
    .map(d => ({
      topic: d.spec.topicName ?? d.metadata.name,
      numPartitions: d.spec.partitions,
      configEntries: Object.entries(d.spec.config ?? {}).map(([k, v]) => ({
        name: k,
        value: String(v),
      })),
    }));
  const postgres = read(dir, 'deploy/base/postgres/statefulset.yaml');
  const clickhouse = read(dir, 'deploy/base/clickhouse/statefulset.yaml');
  const dags = path.resolve(
    dagsDir ?? path.join(path.dirname(dir), `${name}-dags`),
  );
  return {
    dir,
    dagsDir: fs.existsSync(path.join(dags, 'lambda_pipeline'))
      ? dags
      : undefined,
    name,
    spec,
    plan,
    cdc,
    lake,
    topics,
    /** The source tables, the control schema and the publication (psql variables repl_user, repl_password). */
    sourceSql: configMapEntry(postgres, '20-cdc.sql.in'),
    speedSql: configMapEntry(clickhouse, 'speed_layer.sql'),
    snowflakeSql: read(dir, 'sql/snowflake/setup.sql'),
  };
}
