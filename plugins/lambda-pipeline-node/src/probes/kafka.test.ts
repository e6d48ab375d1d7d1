import { Kafka, logLevel } from 'kafkajs';
import { stackEnvironment, stackUp } from '../testUtils';
import { PipelineEnvironments, ProbeError } from './common';
import { KafkaAdminProbe } from './kafka';

jest.setTimeout(10 * 60_000);

describe('KafkaAdminProbe (real Kafka)', () => {
  const run = `${Date.now().toString(36)}${Math.random()
    .toString(36)
    .slice(2, 6)}`;
  const topic = `lp-probe-${run}`;
  const dlq = `lp-probe-${run}.dlq`;
  const groupId = `lp-probe-group-${run}`;
  let env: Record<string, string>;
  let probe: KafkaAdminProbe;
  let kafka: Kafka;

  beforeAll(async () => {
    env = stackUp(['kafka']);
    probe = new KafkaAdminProbe(
      PipelineEnvironments.of([stackEnvironment(env)]),
      { timeoutMs: 10_000 },
    );
    kafka = new Kafka({
      clientId: 'lp-probe-test',
      brokers: env.LP_KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 3 },
        { topic: dlq, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
    await admin.disconnect();
    await probe?.close();
  });

  it("reports a real consumer group's lag per partition, agreeing with kafkajs's own admin offsets", async () => {
    const producer = kafka.producer();
    await producer.connect();
    // 10, 20 and 30 messages on partitions 0, 1, 2.
    for (const [partition, count] of [
      [0, 10],
      [1, 20],
      [2, 30],
    ]) {
      await producer.send({
        topic,
        messages: Array.from({ length: count }, (_, i) => ({
          partition,
          value: `m${i}`,
        })),
      });
    }
    await producer.disconnect();
    // The group commits 4 on partition 0 and 15 on partition 1, nothing on partition 2.
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '4' },
        { partition: 1, offset: '15' },
      ],
    });

    const lag = await probe.consumerGroupLag('dev', groupId, [topic]);
    expect(lag.partitions).toEqual([
      { topic, partition: 0, committed: 4, end: 10, lag: 6 },
      { topic, partition: 1, committed: 15, end: 20, lag: 5 },
      { topic, partition: 2, committed: null, end: 30, lag: 30 },
    ]);
    expect(lag.totalLag).toBe(41);
    expect(lag.state).toBe('Empty');

    // Cross-check against kafkajs's admin directly.
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    for (const p of lag.partitions.filter(x => x.committed !== null)) {
      const c = Number(
        committed.partitions.find(x => x.partition === p.partition)!.offset,
      );
      const e = Number(ends.find(x => x.partition === p.partition)!.high);
      expect(p.lag).toBe(e - c);
    }
    await admin.disconnect();
  });

  it('counts what lands in a dead-letter topic, and names topics that do not exist', async () => {
    const before = await probe.topicOffsets('dev', [dlq, `${topic}-missing`]);
    expect(before.missing).toEqual([`${topic}-missing`]);
    const sum = (r: typeof before) =>
      r.topics[dlq].reduce((s, p) => s + p.high - p.low, 0);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: dlq,
      messages: Array.from({ length: 7 }, () => ({
        value: 'not json {',
        headers: { 'lp.error': 'unparseable' },
      })),
    });
    await producer.disconnect();
    const after = await probe.topicOffsets('dev', [dlq]);
    expect(sum(after) - sum(before)).toBe(7);
    expect((await probe.listTopics('dev')).includes(topic)).toBe(true);
  });

  it('says which environment is not configured, and fails fast on an unreachable broker', async () => {
    await expect(probe.listTopics('prod')).rejects.toThrow(
      "environment 'prod' is not configured: add lambdaPipelines.environments.prod to app-config (configured: dev)",
    );
    const unreachable = new KafkaAdminProbe(
      PipelineEnvironments.of([
        {
          name: 'dev',
          kafka: { brokers: ['127.0.0.1:1'], clientId: 't', ssl: false },
        },
      ]),
      { timeoutMs: 3000 },
    );
    const started = Date.now();
    const error: ProbeError = await unreachable.listTopics('dev').catch(e => e);
    expect(error).toBeInstanceOf(ProbeError);
    expect(error.system).toBe('kafka');
    expect(['unreachable', 'timeout']).toContain(error.reason);
    expect(error.message).toMatch(/^Kafka \(dev\): list topics: /);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
