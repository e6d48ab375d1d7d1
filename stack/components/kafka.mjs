// Apache Kafka 4.x in KRaft mode as a plain JVM process: one node that is both
// broker and controller, every replication factor 1. The jars come from Maven
// Central through stack/kafka/pom.xml; nothing else is downloaded.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT, ensureDir, run } from '../lib/context.mjs';

/** Keep in step with <kafka.version> in stack/kafka/pom.xml. */
export const KAFKA_VERSION = '4.3.1';
const POM = path.join(REPO_ROOT, 'stack', 'kafka', 'pom.xml');
const HEAP = ['-Xms256m', '-Xmx768m'];

/** The JVM: $JAVA_HOME/bin/java when set, else java from PATH. */
export function javaBin() {
  return process.env.JAVA_HOME
    ? path.join(process.env.JAVA_HOME, 'bin', 'java')
    : 'java';
}

/**
 * Copies the runtime dependencies of a pom into `dir` (quiet, batch mode)
 * and returns the jars' paths relative to it: file names, or with
 * `repositoryLayout` the paths of a Maven repository (group/artifact/version/).
 */
export function mavenCopyDependencies(
  pom,
  dir,
  { repositoryLayout = false } = {},
) {
  ensureDir(dir);
  run(
    'mvn',
    [
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${dir}`,
      ...(repositoryLayout ? ['-Dmdep.useRepositoryLayout=true'] : []),
    ],
    {
      timeout: 30 * 60_000,
    },
  );
  const jars = fs
    .readdirSync(dir, { recursive: repositoryLayout })
    .map(file => file.split(path.sep).join('/'))
    .filter(file => file.endsWith('.jar'));
  if (jars.length === 0)
    throw new Error(`maven copied no jars from ${pom} into ${dir}`);
  return jars;
}

/** log4j 2 configuration: everything to stdout (the component's log), Kafka's chatty loggers at WARN. */
export function log4j2Properties(quietLoggers = []) {
  const lines = [
    'status = warn',
    // Keep logging while Kafka's own shutdown hook runs.
    'shutdownHook = disable',
    'appender.console.type = Console',
    'appender.console.name = STDOUT',
    'appender.console.layout.type = PatternLayout',
    'appender.console.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.stdout.ref = STDOUT',
  ];
  quietLoggers.forEach((logger, i) =>
    lines.push(`logger.q${i}.name = ${logger}`, `logger.q${i}.level = WARN`),
  );
  return `${lines.join('\n')}\n`;
}

function properties(entries) {
  return `${Object.entries(entries)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/** A KRaft cluster id: 16 random bytes, URL-safe base64 (Kafka's Uuid format). */
function newClusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

// --- a tiny Kafka protocol client for the readiness check (no JVM, no npm packages) ---

function kafkaRequest(port, host, apiKey, apiVersion, body, timeoutMs) {
  const clientId = Buffer.from('lp-stack');
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(1, 4); // correlation id
  header.writeInt16BE(clientId.length, 8);
  const payload = Buffer.concat([header, clientId, body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length, 0);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', error => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => socket.write(Buffer.concat([size, payload])));
    socket.on('data', chunk => {
      received = Buffer.concat([received, chunk]);
      if (
        received.length >= 4 &&
        received.length >= 4 + received.readInt32BE(0)
      ) {
        clearTimeout(timer);
        socket.destroy();
        // Skip the size and the correlation id.
        resolve(received.subarray(8, 4 + received.readInt32BE(0)));
      }
    });
  });
}

/**
 * Asks the broker for its metadata (Metadata v4, no topics) and returns the
 * brokers and the active controller it reports. Answers only once the broker
 * has registered with the controller and opened its client listener.
 */
export async function kafkaMetadata(
  port,
  host = '127.0.0.1',
  timeoutMs = 1500,
) {
  const body = Buffer.alloc(5);
  body.writeInt32BE(0, 0); // topics: empty array (not null = all topics)
  body.writeInt8(0, 4); // allow_auto_topic_creation
  const response = await kafkaRequest(port, host, 3, 4, body, timeoutMs);
  let offset = 4; // throttle_time_ms
  const int32 = () => {
    const value = response.readInt32BE(offset);
    offset += 4;
    return value;
  };
  const string = () => {
    const length = response.readInt16BE(offset);
    offset += 2;
    if (length < 0) return null;
    const value = response.toString('utf8', offset, offset + length);
    offset += length;
    return value;
  };
  const brokers = [];
  for (let i = int32(); i > 0; i--)
    brokers.push({
      nodeId: int32(),
      host: string(),
      port: int32(),
      rack: string(),
    });
  const clusterId = string();
  const controllerId = int32();
  return { brokers, clusterId, controllerId };
}

export default {
  name: 'kafka',
  version: KAFKA_VERSION,
  description: `Apache Kafka ${KAFKA_VERSION} (KRaft, combined broker + controller)`,
  dependsOn: [],
  readyTimeoutSeconds: 90,
  stopTimeoutSeconds: 40,

  async install(ctx) {
    const jars = mavenCopyDependencies(POM, path.join(ctx.installDir, 'libs'));
    if (!jars.includes(`kafka_2.13-${KAFKA_VERSION}.jar`)) {
      throw new Error(
        `kafka_2.13-${KAFKA_VERSION}.jar is missing: is stack/kafka/pom.xml at ${KAFKA_VERSION}?`,
      );
    }
  },

  async start(ctx) {
    const configDir = ensureDir(path.join(ctx.dataDir, 'config'));
    const logDirs = path.join(ctx.dataDir, 'kraft');
    const port = ctx.port('kafka');
    const controllerPort = ctx.port('kafkaController');
    const serverProperties = path.join(configDir, 'server.properties');
    // Rewritten on every start so changed ports apply; the storage is formatted once.
    fs.writeFileSync(
      serverProperties,
      properties({
        'process.roles': 'broker,controller',
        'node.id': 1,
        'controller.quorum.voters': `1@${ctx.host}:${controllerPort}`,
        listeners: `PLAINTEXT://${ctx.host}:${port},CONTROLLER://${ctx.host}:${controllerPort}`,
        'advertised.listeners': `PLAINTEXT://${ctx.host}:${port}`,
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.security.protocol.map':
          'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        'log.dirs': logDirs,
        'num.partitions': 1,
        'default.replication.factor': 1,
        'min.insync.replicas': 1,
        'offsets.topic.replication.factor': 1,
        'offsets.topic.num.partitions': 10,
        'transaction.state.log.replication.factor': 1,
        'transaction.state.log.min.isr': 1,
        'transaction.state.log.num.partitions': 10,
        'share.coordinator.state.topic.replication.factor': 1,
        'share.coordinator.state.topic.min.isr': 1,
        'group.initial.rebalance.delay.ms': 0,
        'auto.create.topics.enable': true,
        'num.network.threads': 2,
        'num.io.threads': 4,
        'log.retention.hours': 72,
        'log.segment.bytes': 64 * 1024 * 1024,
      }),
    );
    const log4j = path.join(configDir, 'log4j2.properties');
    fs.writeFileSync(
      log4j,
      log4j2Properties([
        'kafka.request.logger',
        'org.apache.kafka.storage.internals.log',
        'kafka.log.LogCleaner',
        'state.change.logger',
      ]),
    );
    const classpath = path.join(ctx.installDir, 'libs', '*');
    const jvm = [
      '-cp',
      classpath,
      `-Dlog4j2.configurationFile=${log4j}`,
      '-Djava.awt.headless=true',
    ];
    // KRaft metadata cannot be downgraded, and a newer Kafka may upgrade it:
    // storage formatted by another Kafka version is moved aside (this is a
    // disposable local stack) and formatted anew, and the log says so.
    const versionFile = path.join(ctx.dataDir, 'formatted-by-kafka');
    const formattedBy = fs.existsSync(versionFile)
      ? fs.readFileSync(versionFile, 'utf8').trim()
      : undefined;
    if (fs.existsSync(logDirs) && formattedBy !== KAFKA_VERSION) {
      const aside = `${logDirs}.from-kafka-${
        formattedBy ?? 'unknown'
      }-${Date.now()}`;
      ctx.log(
        `storage was formatted by Kafka ${
          formattedBy ?? '(unknown version)'
        }; moving it to ${aside} and formatting for ${KAFKA_VERSION}`,
      );
      fs.renameSync(logDirs, aside);
    }
    if (!fs.existsSync(path.join(logDirs, 'meta.properties'))) {
      const clusterId = newClusterId();
      ctx.log(`formatting KRaft storage (cluster id ${clusterId})`);
      run(
        javaBin(),
        [
          ...jvm,
          '-Xmx256m',
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          serverProperties,
        ],
        {
          timeout: 120_000,
        },
      );
      fs.writeFileSync(versionFile, KAFKA_VERSION);
    }
    ctx.spawnDaemon(javaBin(), [
      ...HEAP,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      ...jvm,
      'kafka.Kafka',
      serverProperties,
    ]);
  },

  async ready(ctx) {
    const port = ctx.port('kafka');
    const { brokers, controllerId } = await kafkaMetadata(port, ctx.host);
    return controllerId >= 0 && brokers.some(broker => broker.port === port);
  },

  env(ctx) {
    return { LP_KAFKA_BROKERS: `${ctx.host}:${ctx.port('kafka')}` };
  },

  appConfig(ctx) {
    return { kafka: { brokers: [`${ctx.host}:${ctx.port('kafka')}`] } };
  },
};
