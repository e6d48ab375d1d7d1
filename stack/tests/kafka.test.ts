// Kafka 4.x through kafkajs (the client the product uses): topics, 10,000
// messages produced and consumed, offsets and a consumer group's lag.
import { Admin, Partitioners } from 'kafkajs';
import { kafkaBrokers, kafkaClient, waitFor } from './support';

const MESSAGES = 10_000;
const PARTITIONS = 3;
const COMMITTED_PER_PARTITION = 1_000;

/** Committed offsets of a group minus the end offsets of the topic, per partition. */
async function groupLag(admin: Admin, groupId: string, topic: string) {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  return ends
    .map(end => {
      const offset = Number(
        committed.partitions.find(p => p.partition === end.partition)?.offset ??
          -1,
      );
      const high = Number(end.high);
      return {
        partition: end.partition,
        committed: offset,
        end: high,
        lag: offset < 0 ? high : high - offset,
      };
    })
    .sort((a, b) => a.partition - b.partition);
}

describe('Kafka (KRaft) through kafkajs', () => {
  const brokers = kafkaBrokers();
  const run = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const topic = `lp-test-kafka-${run}`;
  const kafka = kafkaClient();
  const admin = kafka.admin();

  beforeAll(async () => {
    expect(brokers).not.toHaveLength(0);
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates a topic and describes it', async () => {
    expect(
      await admin.createTopics({
        topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
        waitForLeaders: true,
      }),
    ).toBe(true);
    expect(await admin.listTopics()).toContain(topic);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0].partitions).toHaveLength(PARTITIONS);
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.controller).not.toBeNull();
  });

  it(`produces ${MESSAGES} messages and reports the end offsets`, async () => {
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
    });
    await producer.connect();
    try {
      for (let start = 0; start < MESSAGES; start += 1_000) {
        const messages = Array.from({ length: 1_000 }, (_, j) => {
          const i = start + j;
          return {
            key: `key-${i}`,
            value: JSON.stringify({ i, body: `message ${i}` }),
            headers: { run },
          };
        });
        await producer.send({ topic, acks: -1, messages });
      }
    } finally {
      await producer.disconnect();
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets).toHaveLength(PARTITIONS);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(MESSAGES);
    for (const p of offsets) {
      expect(Number(p.low)).toBe(0);
      // The default partitioner spreads 10,000 keys over every partition.
      expect(Number(p.high)).toBeGreaterThan(COMMITTED_PER_PARTITION);
    }
  });

  it('consumes every message once, in order per partition, with its content', async () => {
    const consumer = kafka.consumer({ groupId: `lp-test-all-${run}` });
    const seen = new Map<number, { partition: number; offset: number }>();
    const lastByPartition = new Map<number, number>();
    let outOfOrder = 0;
    let wrongContent = 0;
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const value = JSON.parse(message.value!.toString());
          if (
            message.key?.toString() !== `key-${value.i}` ||
            value.body !== `message ${value.i}` ||
            message.headers?.run?.toString() !== run
          ) {
            wrongContent++;
          }
          if ((lastByPartition.get(partition) ?? -1) >= value.i) outOfOrder++;
          lastByPartition.set(partition, value.i);
          seen.set(value.i, { partition, offset: Number(message.offset) });
        },
      });
      await waitFor(
        `${MESSAGES} messages`,
        async () => (seen.size >= MESSAGES ? true : undefined),
        90_000,
      );
      // Committed offsets reach the end: the group's lag drops to zero.
      await waitFor(
        'the group to commit every offset',
        async () =>
          (
            await groupLag(admin, `lp-test-all-${run}`, topic)
          ).every(p => p.lag === 0)
            ? true
            : undefined,
        30_000,
      );
    } finally {
      await consumer.disconnect();
    }
    expect(seen.size).toBe(MESSAGES);
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: MESSAGES }, (_, i) => i),
    );
    expect(wrongContent).toBe(0);
    expect(outOfOrder).toBe(0);
    expect(new Set([...seen.values()].map(v => v.partition)).size).toBe(
      PARTITIONS,
    );
  });

  it('computes the lag of a group that consumed part of the topic', async () => {
    const groupId = `lp-test-partial-${run}`;
    const consumer = kafka.consumer({ groupId });
    const processed = new Map<number, number>();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const count = processed.get(partition) ?? 0;
          if (count >= COMMITTED_PER_PARTITION) return;
          processed.set(partition, count + 1);
          if (count + 1 === COMMITTED_PER_PARTITION) {
            // The next offset to read, as Kafka's commit convention wants.
            await consumer.commitOffsets([
              { topic, partition, offset: String(Number(message.offset) + 1) },
            ]);
          }
        },
      });
      await waitFor(
        `${COMMITTED_PER_PARTITION} messages from each partition`,
        async () =>
          processed.size === PARTITIONS &&
          [...processed.values()].every(n => n === COMMITTED_PER_PARTITION)
            ? true
            : undefined,
        60_000,
      );
    } finally {
      await consumer.disconnect();
    }

    const lag = await groupLag(admin, groupId, topic);
    expect(lag).toHaveLength(PARTITIONS);
    for (const p of lag) {
      expect(p.committed).toBe(COMMITTED_PER_PARTITION);
      expect(p.lag).toBe(p.end - COMMITTED_PER_PARTITION);
    }
    expect(lag.reduce((sum, p) => sum + p.lag, 0)).toBe(
      MESSAGES - PARTITIONS * COMMITTED_PER_PARTITION,
    );

    // The group is known to the cluster and empty now that its consumer left.
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups[0].state).toBe('Empty');
  });
});
