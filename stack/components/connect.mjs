// Kafka Connect (distributed mode, one worker) as a plain JVM process, with
// two plugins: Debezium's PostgreSQL source and the Apache Iceberg sink.
// Everything comes from Maven Central through the poms in stack/connect/.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, ensureDir } from '../lib/context.mjs';
import {
  KAFKA_VERSION,
  javaBin,
  log4j2Properties,
  mavenCopyDependencies,
} from './kafka.mjs';

/** Keep in step with the poms under stack/connect/. */
const DEBEZIUM_VERSION = '3.7.0.Final';
const ICEBERG_VERSION = '1.10.1';
const POMS = path.join(REPO_ROOT, 'stack', 'connect');
const HEAP = ['-Xms256m', '-Xmx1g'];

export const DEBEZIUM_POSTGRES_CONNECTOR =
  'io.debezium.connector.postgresql.PostgresConnector';
export const ICEBERG_SINK_CONNECTOR =
  'org.apache.iceberg.connect.IcebergSinkConnector';

/** One directory per plugin under plugin.path, and the jar each must contain. */
const PLUGINS = [
  {
    dir: 'debezium-postgres',
    pom: 'debezium-postgres/pom.xml',
    jar: `debezium-connector-postgres-${DEBEZIUM_VERSION}.jar`,
  },
  {
    dir: 'iceberg',
    pom: 'iceberg/pom.xml',
    jar: `iceberg-kafka-connect-${ICEBERG_VERSION}.jar`,
  },
];

function properties(entries) {
  return `${Object.entries(entries)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

const restUrl = ctx => `http://${ctx.host}:${ctx.port('connect')}`;

async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(1500) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.json();
}

export default {
  name: 'connect',
  version: `${KAFKA_VERSION}-debezium${DEBEZIUM_VERSION.replace(
    /\.Final$/,
    '',
  )}-iceberg${ICEBERG_VERSION}`,
  description: `Kafka Connect ${KAFKA_VERSION} (distributed) + Debezium PostgreSQL ${DEBEZIUM_VERSION} + Iceberg sink ${ICEBERG_VERSION}`,
  dependsOn: ['kafka', 'postgres'],
  readyTimeoutSeconds: 120,
  stopTimeoutSeconds: 40,

  async install(ctx) {
    const libs = mavenCopyDependencies(
      path.join(POMS, 'runtime', 'pom.xml'),
      path.join(ctx.installDir, 'libs'),
    );
    if (!libs.includes(`connect-runtime-${KAFKA_VERSION}.jar`)) {
      throw new Error(
        `connect-runtime-${KAFKA_VERSION}.jar is missing: is stack/connect/runtime/pom.xml at ${KAFKA_VERSION}?`,
      );
    }
    for (const plugin of PLUGINS) {
      ctx.log(`assembling plugin ${plugin.dir}`);
      const jars = mavenCopyDependencies(
        path.join(POMS, plugin.pom),
        path.join(ctx.installDir, 'plugins', plugin.dir),
      );
      if (!jars.includes(plugin.jar))
        throw new Error(
          `${plugin.jar} is missing from plugin ${plugin.dir}: check ${plugin.pom}`,
        );
      const leaked = jars.filter(jar =>
        /^(kafka-clients|connect-api|connect-runtime|slf4j-api)-/.test(jar),
      );
      if (leaked.length > 0)
        throw new Error(
          `plugin ${
            plugin.dir
          } must not bundle the worker's jars: ${leaked.join(', ')}`,
        );
    }
  },

  async start(ctx) {
    const configDir = ensureDir(path.join(ctx.dataDir, 'config'));
    const workerProperties = path.join(
      configDir,
      'connect-distributed.properties',
    );
    fs.writeFileSync(
      workerProperties,
      properties({
        'bootstrap.servers': `${ctx.host}:${ctx.port('kafka')}`,
        'group.id': 'lp-connect',
        listeners: restUrl(ctx),
        'rest.advertised.host.name': ctx.host,
        'rest.advertised.port': ctx.port('connect'),
        'plugin.path': path.join(ctx.installDir, 'plugins'),
        'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'key.converter.schemas.enable': true,
        'value.converter.schemas.enable': true,
        'config.storage.topic': 'lp-connect-configs',
        'config.storage.replication.factor': 1,
        'offset.storage.topic': 'lp-connect-offsets',
        'offset.storage.replication.factor': 1,
        'offset.storage.partitions': 5,
        'status.storage.topic': 'lp-connect-status',
        'status.storage.replication.factor': 1,
        'status.storage.partitions': 1,
        'offset.flush.interval.ms': 5000,
        // Connectors may override their clients' settings (e.g. consumer.override.auto.offset.reset).
        'connector.client.config.override.policy': 'All',
        'topic.creation.enable': true,
        // Every plugin jar ships ServiceLoader manifests: no classpath scanning at start.
        'plugin.discovery': 'service_load',
      }),
    );
    const log4j = path.join(configDir, 'log4j2.properties');
    fs.writeFileSync(
      log4j,
      log4j2Properties([
        'org.reflections',
        'org.apache.kafka.clients.consumer.ConsumerConfig',
        'org.apache.kafka.clients.producer.ProducerConfig',
        'org.apache.kafka.clients.admin.AdminClientConfig',
        'org.apache.kafka.connect.runtime.isolation',
        'org.apache.kafka.common.config.AbstractConfig',
        'org.apache.kafka.common.utils.AppInfoParser',
        'org.apache.hadoop',
      ]),
    );
    ctx.spawnDaemon(javaBin(), [
      ...HEAP,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      path.join(ctx.installDir, 'libs', '*'),
      'org.apache.kafka.connect.cli.ConnectDistributed',
      workerProperties,
    ]);
  },

  async ready(ctx) {
    const root = await getJson(`${restUrl(ctx)}/`);
    if (!root.version) return false;
    const plugins = (await getJson(`${restUrl(ctx)}/connector-plugins`)).map(
      plugin => plugin.class,
    );
    return [DEBEZIUM_POSTGRES_CONNECTOR, ICEBERG_SINK_CONNECTOR].every(name =>
      plugins.includes(name),
    );
  },

  env(ctx) {
    return { LP_CONNECT_URL: restUrl(ctx) };
  },

  appConfig(ctx) {
    return { connect: { url: `http://${ctx.host}:${ctx.port('connect')}` } };
  },
};
