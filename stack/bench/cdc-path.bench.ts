// Benchmark of the CDC path (PostgreSQL commit -> Debezium -> Kafka) on the
// local stack: the load generator commits OLTP changes at a set rate while
// the CDC topic's end offsets are read every second. Sustained rate = events
// that reached Kafka per second; freshness of a moment = how long ago the
// change now at the end of the topic was committed (from the generator's own
// commit log), so nothing has to consume millions of messages.
// Run with bench/cdc-path.sh; results in bench/results/cdc-path.json.
import fs from 'fs';
import os from 'os';
import { Client } from 'pg';
import { connectApi, kafkaClient, waitFor } from '../tests/support';

jest.setTimeout(4 * 3600_000);

type LoadGen = typeof import('../loadgen/loadgen.mjs');
type ProducerPerformance = typeof import('./producerPerformance.mjs');

const SUSTAIN_RATE = Number(process.env.LP_BENCH_RATE ?? 20_000);
const SUSTAIN_SECONDS = Number(process.env.LP_BENCH_SECONDS ?? 300);
const CEILING_RATES = (
  process.env.LP_BENCH_CEILING_RATES ?? '10000,20000,30000,40000'
)
  .split(',')
  .map(Number);
const CEILING_SECONDS = Number(process.env.LP_BENCH_CEILING_SECONDS ?? 30);

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
    : null;
};
const log = (m: string) =>
  process.stderr.write(
    `[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`,
  );

describe('CDC path benchmark', () => {
  const run = Date.now().toString(36);
  const table = `bench_cdc_${run}`;
  const prefix = `benchcdc${run}`;
  const topic = `${prefix}.public.${table}`;
  const connector = `bench-cdc-${run}`;
  const database = process.env.LP_POSTGRES_SOURCE_DATABASE ?? 'shop';
  const postgres = {
    host: process.env.LP_POSTGRES_HOST,
    port: Number(process.env.LP_POSTGRES_PORT),
    user: process.env.LP_POSTGRES_USER,
    database,
  };
  const spec = {
    spec: {
      source: {
        postgres: {
          database,
          tables: [
            {
              schema: 'public',
              table,
              columns: [
                { name: 'order_id', type: 'bigint', nullable: false },
                { name: 'customer_id', type: 'bigint', nullable: false },
                { name: 'status', type: 'varchar(32)' },
                { name: 'amount', type: 'numeric(12,2)' },
                { name: 'quantity', type: 'integer' },
                { name: 'updated_at', type: 'timestamptz', nullable: false },
              ],
              primaryKey: ['order_id'],
            },
          ],
        },
      },
    },
  };
  const admin = kafkaClient().admin();
  const pg = new Client(postgres);
  let loadgen: LoadGen;

  beforeAll(async () => {
    loadgen = await import('../loadgen/loadgen.mjs');
    await pg.connect();
    await pg.query(loadgen.createTableSql(spec.spec.source.postgres.tables[0]));
    await admin.connect();
    // As the rendered KafkaTopic: partitions for the target rate (sizing gives 4 at 20,000 events/s).
    await admin.createTopics({
      topics: [{ topic, numPartitions: 4 }],
      waitForLeaders: true,
    });
    const created = await connectApi('PUT', `/connectors/${connector}/config`, {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'tasks.max': '1',
      'plugin.name': 'pgoutput',
      'database.hostname': postgres.host,
      'database.port': String(postgres.port),
      'database.user': postgres.user,
      'database.dbname': database,
      'topic.prefix': prefix,
      'slot.name': `bench_cdc_${run}`,
      'publication.name': `bench_cdc_${run}_pub`,
      'publication.autocreate.mode': 'filtered',
      'table.include.list': `public.${table}`,
      'snapshot.mode': 'no_data',
      'decimal.handling.mode': 'string',
      // As the rendered connector: schemaless JSON.
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': 'false',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
    });
    expect(created.status).toBe(201);
    await waitFor(
      'the connector running',
      async () => {
        const s = await connectApi('GET', `/connectors/${connector}/status`);
        return s.body?.tasks?.[0]?.state === 'RUNNING' ? true : undefined;
      },
      120_000,
      1000,
    );
    // Debezium streams once its slot exists; one change proves the path.
    await loadgen.runLoad({ spec, rate: 10, seconds: 1, postgres });
    await waitFor(
      'the first events in Kafka',
      async () => ((await topicEnd()) >= 10 ? true : undefined),
      120_000,
      500,
    );
  });

  afterAll(async () => {
    await connectApi('DELETE', `/connectors/${connector}`).catch(
      () => undefined,
    );
    await new Promise(r => setTimeout(r, 3000));
    await pg
      .query('SELECT pg_drop_replication_slot($1)', [`bench_cdc_${run}`])
      .catch(() => undefined);
    await pg
      .query(`DROP PUBLICATION IF EXISTS bench_cdc_${run}_pub`)
      .catch(() => undefined);
    await pg.query(`DROP TABLE IF EXISTS public.${table}`);
    await pg.end();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  const topicEnd = async () =>
    (await admin.fetchTopicOffsets(topic)).reduce(
      (s, p) => s + Number(p.high),
      0,
    );

  /** Load at `rate` for `seconds`, reading the topic's end every second; then how long it takes to drain. */
  async function phase(rate: number, seconds: number) {
    const base = await topicEnd();
    const commits: Array<[number, number]> = []; // [events committed so far, wall ms]
    const samples: Array<{ at: number; inKafka: number }> = [];
    let loading = true;
    const sampler = (async () => {
      while (loading) {
        samples.push({ at: Date.now(), inKafka: (await topicEnd()) - base });
        await new Promise(r => setTimeout(r, 1000));
      }
    })();
    const result = await loadgen.runLoad({
      spec,
      rate,
      seconds,
      postgres,
      seed: rate,
      onCommit: (events: number, at: number) => commits.push([events, at]),
    });
    loading = false;
    await sampler;
    const drainStarted = Date.now();
    let drained: number | null = null;
    for (let i = 0; i < 120; i++) {
      if ((await topicEnd()) - base >= result.events) {
        drained = (Date.now() - drainStarted) / 1000;
        break;
      }
      await new Promise(r => setTimeout(r, 500));
    }
    // Freshness of a sample: now minus the commit time of the newest change already in Kafka.
    const freshness: number[] = [];
    for (const s of samples.slice(2)) {
      const i = commits.findIndex(([events]) => events >= s.inKafka);
      if (i >= 0 && s.inKafka > 0)
        freshness.push(Math.max(0, s.at - commits[i][1]));
    }
    const steady = samples.slice(2);
    const kafkaRate =
      steady.length > 1
        ? (steady[steady.length - 1].inKafka - steady[0].inKafka) /
          ((steady[steady.length - 1].at - steady[0].at) / 1000)
        : null;
    const out = {
      targetRate: rate,
      seconds,
      committedRate: result.rate,
      commitMsP95: result.commitMs.p95,
      kafkaRate: kafkaRate === null ? null : Math.round(kafkaRate),
      kafkaOfCommitted:
        kafkaRate === null
          ? null
          : Math.round((kafkaRate / result.rate) * 100) / 100,
      freshnessMs: {
        p50: percentile(freshness, 0.5),
        p95: percentile(freshness, 0.95),
      },
      drainedSecondsAfterLoad: drained,
      sustained:
        drained !== null && drained <= 10 && result.rate >= 0.95 * rate,
    };
    log(JSON.stringify(out));
    return out;
  }

  it('measures the sustained rate and freshness at the target, and the ceiling', async () => {
    log(`sustained: ${SUSTAIN_RATE} events/s for ${SUSTAIN_SECONDS} s`);
    const sustained = await phase(SUSTAIN_RATE, SUSTAIN_SECONDS);
    const steps = [];
    for (const rate of CEILING_RATES) {
      log(`ceiling step: ${rate} events/s for ${CEILING_SECONDS} s`);
      steps.push(await phase(rate, CEILING_SECONDS));
    }
    const ceiling = Math.max(
      0,
      ...steps.filter(s => s.sustained).map(s => s.kafkaRate ?? 0),
    );

    // Reference in the same run: Kafka's own producer, records the size of our CDC events.
    const sizes: number[] = [];
    const consumer = kafkaClient().consumer({
      groupId: `bench-cdc-size-${run}`,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (sizes.length < 500)
          sizes.push((message.value?.length ?? 0) + (message.key?.length ?? 0));
      },
    });
    await waitFor(
      'CDC events to size',
      async () => (sizes.length >= 500 ? true : undefined),
      60_000,
      200,
    );
    await consumer.disconnect();
    const recordSize = Math.round(
      sizes.reduce((a, b) => a + b, 0) / sizes.length,
    );
    const perfTopic = `bench-producer-perf-${run}`;
    await admin.createTopics({
      topics: [{ topic: perfTopic, numPartitions: 4 }],
      waitForLeaders: true,
    });
    log(`reference: Kafka's ProducerPerformance, ${recordSize}-byte records`);
    const { producerPerformance }: ProducerPerformance = await import(
      './producerPerformance.mjs'
    );
    const reference = producerPerformance({
      brokers: process.env.LP_KAFKA_BROKERS,
      topic: perfTopic,
      records: 1_000_000,
      recordSize,
    });
    await admin.deleteTopics({ topics: [perfTopic] }).catch(() => undefined);
    log(JSON.stringify(reference));
    const results = {
      benchmark: 'CDC path: PostgreSQL commit -> Debezium -> Kafka',
      date: new Date().toISOString(),
      machine: `${os.cpus().length} x ${os.cpus()[0]?.model}, ${Math.round(
        os.totalmem() / 2 ** 30,
      )} GiB`,
      sustained,
      ceilingSteps: steps,
      highestSustainedKafkaRate: ceiling,
      reference: {
        kafkaProducerPerformance: reference,
        sustainedOfProducer:
          Math.round(
            ((sustained.kafkaRate ?? 0) / reference.recordsPerSecond) * 100,
          ) / 100,
        ceilingOfProducer:
          Math.round((ceiling / reference.recordsPerSecond) * 100) / 100,
      },
    };
    if (process.env.LP_BENCH_OUT)
      fs.writeFileSync(
        process.env.LP_BENCH_OUT,
        `${JSON.stringify(results, null, 2)}\n`,
      );
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    expect(sustained.kafkaRate).not.toBeNull();
  });
});
