import { LoggerService } from '@backstage/backend-plugin-api';
import fs from 'node:fs';
import { Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import {
  ClientCache,
  PipelineEnvironments,
  ProbeError,
  withTimeout,
} from './common';

/** Offsets of one partition: the first and the next-to-be-written offset. */
export type PartitionOffsets = { partition: number; low: number; high: number };

/** End offsets of the topics that exist, and the names of those that do not. */
export type TopicOffsetsResult = {
  topics: Record<string, PartitionOffsets[]>;
  missing: string[];
};

/** A consumer group's position on one partition and how far behind the end it is. */
export type PartitionLag = {
  topic: string;
  partition: number;
  /** Next offset the group will read; null if it never committed on this partition. */
  committed: number | null;
  end: number;
  /** `end - committed` (or `end - low` when nothing was committed). */
  lag: number;
};

export type ConsumerGroupLag = {
  groupId: string;
  /** Group state as the broker reports it (Stable, Empty, Dead...). */
  state: string;
  members: number;
  partitions: PartitionLag[];
  totalLag: number;
};

/** A topic as the catalog lists it: layout and the configuration that shapes its data. */
export type TopicDescription = {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Partitions with fewer in-sync replicas than replicas. */
  underReplicatedPartitions: number;
  /** Effective values of the settings in TOPIC_FACT_CONFIGS (defaults included). */
  config: Record<string, string>;
  /** Names of the settings set on the topic itself (not inherited from the broker). */
  overrides: string[];
};

/** Topic settings worth showing next to a dataset. */
export const TOPIC_FACT_CONFIGS = [
  'cleanup.policy',
  'retention.ms',
  'retention.bytes',
  'min.insync.replicas',
  'compression.type',
  'max.message.bytes',
  'message.timestamp.type',
];

/** Kafka, through its admin API (kafkajs). */
export interface KafkaProbe {
  listTopics(environment: string): Promise<string[]>;
  /**
   * Every topic with partitions, replication and configuration (internal
   * topics such as `__consumer_offsets` included; callers filter).
   */
  describeTopics(
    environment: string,
    options?: { timeoutMs?: number },
  ): Promise<TopicDescription[]>;
  topicOffsets(
    environment: string,
    topics: string[],
  ): Promise<TopicOffsetsResult>;
  consumerGroupLag(
    environment: string,
    groupId: string,
    topics: string[],
  ): Promise<ConsumerGroupLag>;
}

function readCa(file: string, environment: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ProbeError(
      'kafka',
      'not-configured',
      `Kafka (${environment}): cannot read the CA file ${file} (lambdaPipelines.environments.${environment}.kafka.caFile): ${
        (error as Error).message
      }`,
    );
  }
}

/** kafkajs errors through the Backstage logger, at debug level (probes report failures themselves). */
const kafkaLogCreator =
  (logger?: LoggerService) =>
  () =>
  (entry: { namespace: string; log: { message: string } }) =>
    logger?.debug(`kafkajs ${entry.namespace}: ${entry.log.message}`);

/**
 * Kafka admin client per environment, connected once and reused; each call
 * has the probe timeout. A broken connection is dropped and recreated on the
 * next call.
 */
export class KafkaAdminProbe implements KafkaProbe {
  private readonly admins: ClientCache<Admin>;

  constructor(
    private readonly environments: PipelineEnvironments,
    private readonly options: { timeoutMs: number; logger?: LoggerService },
  ) {
    this.admins = new ClientCache(async environment => {
      const settings = this.environments.settings(environment, 'kafka');
      const kafka = new Kafka({
        clientId: settings.clientId,
        brokers: settings.brokers,
        ssl: settings.caFile
          ? { ca: [readCa(settings.caFile, environment)] }
          : settings.ssl,
        ...(settings.sasl ? { sasl: settings.sasl as any } : {}),
        connectionTimeout: Math.min(3000, options.timeoutMs),
        requestTimeout: options.timeoutMs,
        retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 },
        logLevel: logLevel.ERROR,
        logCreator: kafkaLogCreator(options.logger),
      });
      const admin = kafka.admin();
      await admin.connect();
      return admin;
    });
  }

  private async call<T>(
    environment: string,
    what: string,
    fn: (admin: Admin) => Promise<T>,
    timeoutMs = this.options.timeoutMs,
  ): Promise<T> {
    try {
      return await withTimeout(
        'kafka',
        `Kafka (${environment}): ${what}`,
        timeoutMs,
        async () => fn(await this.admins.get(environment)),
      );
    } catch (error) {
      if (!(error instanceof ProbeError && error.reason === 'not-configured')) {
        // Start afresh next time: the connection may be what broke.
        this.admins
          .forget(environment)
          ?.then(a => a.disconnect())
          .catch(() => undefined);
      }
      throw error;
    }
  }

  listTopics(environment: string): Promise<string[]> {
    return this.call(environment, 'list topics', admin => admin.listTopics());
  }

  async describeTopics(
    environment: string,
    options: { timeoutMs?: number } = {},
  ): Promise<TopicDescription[]> {
    return this.call(
      environment,
      'describe topics',
      async admin => {
        const { topics } = await admin.fetchTopicMetadata();
        const described = new Map<string, TopicDescription>();
        for (const t of topics) {
          described.set(t.name, {
            name: t.name,
            partitions: t.partitions.length,
            replicationFactor: Math.max(
              0,
              ...t.partitions.map(p => p.replicas.length),
            ),
            underReplicatedPartitions: t.partitions.filter(
              p => p.isr.length < p.replicas.length,
            ).length,
            config: {},
            overrides: [],
          });
        }
        // Configs in batches: one DescribeConfigs request per 500 topics.
        const names = [...described.keys()];
        for (let i = 0; i < names.length; i += 500) {
          const { resources } = await admin.describeConfigs({
            includeSynonyms: false,
            resources: names.slice(i, i + 500).map(name => ({
              type: ConfigResourceTypes.TOPIC,
              name,
            })),
          });
          for (const resource of resources) {
            const topic = described.get(resource.resourceName);
            if (!topic) continue;
            for (const entry of resource.configEntries) {
              if (entry.isSensitive) continue;
              if (TOPIC_FACT_CONFIGS.includes(entry.configName)) {
                topic.config[entry.configName] = entry.configValue;
              }
              // configSource 1 = DYNAMIC_TOPIC_CONFIG: set on this topic.
              if ((entry as { configSource?: number }).configSource === 1) {
                topic.overrides.push(entry.configName);
              }
            }
            topic.overrides.sort();
          }
        }
        return names.sort().map(name => described.get(name)!);
      },
      options.timeoutMs,
    );
  }

  async topicOffsets(
    environment: string,
    topics: string[],
  ): Promise<TopicOffsetsResult> {
    return this.call(
      environment,
      `end offsets of ${topics.join(', ')}`,
      async admin => {
        const existing = new Set(await admin.listTopics());
        const present = topics.filter(t => existing.has(t));
        const result: TopicOffsetsResult = {
          topics: {},
          missing: topics.filter(t => !existing.has(t)),
        };
        const offsets = await Promise.all(
          present.map(topic => admin.fetchTopicOffsets(topic)),
        );
        present.forEach((topic, i) => {
          result.topics[topic] = offsets[i]
            .map(p => ({
              partition: p.partition,
              low: Number(p.low),
              high: Number(p.high),
            }))
            .sort((a, b) => a.partition - b.partition);
        });
        return result;
      },
    );
  }

  async consumerGroupLag(
    environment: string,
    groupId: string,
    topics: string[],
  ): Promise<ConsumerGroupLag> {
    return this.call(
      environment,
      `lag of consumer group ${groupId}`,
      async admin => {
        const existing = new Set(await admin.listTopics());
        const present = topics.filter(t => existing.has(t));
        // One snapshot: the group's commits first, then the ends, so lag is never negative.
        const [described, committed] = await Promise.all([
          admin.describeGroups([groupId]),
          present.length > 0
            ? admin.fetchOffsets({ groupId, topics: present })
            : Promise.resolve([]),
        ]);
        const ends = await Promise.all(
          present.map(topic => admin.fetchTopicOffsets(topic)),
        );
        const partitions: PartitionLag[] = [];
        present.forEach((topic, i) => {
          const byPartition = new Map(
            (committed.find(c => c.topic === topic)?.partitions ?? []).map(
              p => [p.partition, Number(p.offset)],
            ),
          );
          for (const p of ends[i]) {
            const end = Number(p.high);
            const offset = byPartition.get(p.partition);
            const known = offset !== undefined && offset >= 0 ? offset : null;
            partitions.push({
              topic,
              partition: p.partition,
              committed: known,
              end,
              lag: Math.max(0, end - (known ?? Number(p.low))),
            });
          }
        });
        partitions.sort(
          (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
        );
        const group = described.groups[0];
        return {
          groupId,
          state: group?.state ?? 'Unknown',
          members: group?.members?.length ?? 0,
          partitions,
          totalLag: partitions.reduce((sum, p) => sum + p.lag, 0),
        };
      },
    );
  }

  /** Disconnects every admin client (backend shutdown, tests). */
  async close(): Promise<void> {
    await Promise.all(
      (await this.admins.all()).map(a => a.disconnect().catch(() => undefined)),
    );
  }
}

export function missingTopicsError(
  environment: string,
  missing: string[],
): ProbeError {
  return new ProbeError(
    'kafka',
    'error',
    `Kafka (${environment}): topic(s) ${missing.join(', ')} do not exist`,
  );
}
