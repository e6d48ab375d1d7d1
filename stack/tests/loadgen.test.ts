// The load generator (stack/loadgen) against the stack's PostgreSQL and
// Kafka: the rate it is asked for, the mix of inserts, updates and deletes
// PostgreSQL itself counts, keys that continue across runs, every column
// type it supports, Debezium-shaped events straight to Kafka, and errors
// that name what to fix.
import { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { kafkaClient, waitFor } from './support';

jest.setTimeout(5 * 60_000);

type LoadGen = typeof import('../loadgen/loadgen.mjs');

describe('load generator', () => {
  const run = `${Date.now().toString(36)}_${Math.random()
    .toString(36)
    .slice(2, 6)}`;
  const table = `lg_${run}`;
  const database = process.env.LP_POSTGRES_SOURCE_DATABASE ?? 'postgres';
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
                { name: 'ratio', type: 'double precision' },
                { name: 'gift', type: 'boolean' },
                { name: 'ship_date', type: 'date' },
                { name: 'token', type: 'uuid' },
                { name: 'attributes', type: 'jsonb' },
                { name: 'note', type: 'text' },
                { name: 'updated_at', type: 'timestamptz', nullable: false },
              ],
              primaryKey: ['order_id'],
            },
          ],
        },
      },
    },
  };
  const planFor = (topic: string) => ({
    tables: [
      {
        source: `public.${table}`,
        topic,
        primaryKey: ['order_id'],
        columns: [
          { name: 'order_id', debezium: 'number' },
          { name: 'customer_id', debezium: 'number' },
          { name: 'status', debezium: 'string' },
          { name: 'amount', debezium: 'decimal-string' },
          { name: 'quantity', debezium: 'number' },
          { name: 'ratio', debezium: 'number' },
          { name: 'gift', debezium: 'boolean' },
          { name: 'ship_date', debezium: 'epoch-days' },
          { name: 'token', debezium: 'string' },
          { name: 'attributes', debezium: 'string' },
          { name: 'note', debezium: 'string' },
          { name: 'updated_at', debezium: 'iso-instant' },
        ],
      },
    ],
  });
  /** The first `count` messages of a topic: the key as text, the value parsed. */
  const readTopic = async (kafka: Kafka, topic: string, count: number) => {
    const consumer = kafka.consumer({ groupId: `lg-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: Array<{ key: string; value: any }> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({
          key: String(message.key),
          value: JSON.parse(String(message.value)),
        });
      },
    });
    await waitFor(
      `${count} messages in ${topic}`,
      async () => (seen.length >= count ? true : undefined),
      60_000,
    );
    await consumer.disconnect();
    return seen;
  };
  /** A new CDC topic of two partitions, its plan, and an admin client (to disconnect). */
  const cdcTopic = async (topic: string) => {
    const kafka = kafkaClient();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 2 }],
      waitForLeaders: true,
    });
    return { kafka, admin, plan: planFor(topic) };
  };
  let loadgen: LoadGen;
  const pg = new Client(postgres);

  beforeAll(async () => {
    loadgen = await import('../loadgen/loadgen.mjs');
    await pg.connect();
  });
  afterAll(async () => {
    await pg.query(`DROP TABLE IF EXISTS public.${table}`);
    await pg.end();
  });

  /** What PostgreSQL counted for the table (its statistics reach the view shortly after the load's connection closes). */
  const counted = (expected: {
    inserts: number;
    updates: number;
    deletes: number;
  }) =>
    waitFor(
      'the table statistics',
      async () => {
        const { rows } = await pg.query(
          `SELECT n_tup_ins::int AS inserts, n_tup_upd::int AS updates, n_tup_del::int AS deletes, n_live_tup::int AS live
           FROM pg_stat_user_tables WHERE relname = $1`,
          [table],
        );
        const r = rows[0];
        return r &&
          r.inserts === expected.inserts &&
          r.updates === expected.updates &&
          r.deletes === expected.deletes
          ? r
          : undefined;
      },
      20_000,
      500,
    );

  it('changes the source table at the rate asked for, with the mix PostgreSQL counts', async () => {
    const result = await loadgen.runLoad({
      spec,
      rate: 400,
      seconds: 6,
      create: true,
      postgres,
      mix: loadgen.parseMix('60,30,10'),
    });
    // 10 ticks a second, each with its share: exactly rate x seconds events, on time.
    expect(result.events).toBe(2400);
    expect(Math.abs(result.rate - 400) / 400).toBeLessThan(0.1);
    expect(result.inserts + result.updates + result.deletes).toBe(2400);
    expect(result.inserts / 2400).toBeGreaterThan(0.5);
    expect(result.updates).toBeGreaterThan(400);
    expect(result.deletes).toBeGreaterThan(100);
    expect(result.commits).toBe(60);
    await counted(result);
    const { rows } = await pg.query(
      `SELECT count(*)::int AS n, min(order_id) AS lo FROM public.${table}`,
    );
    expect(rows[0].n).toBe(result.inserts - result.deletes);
    // Every supported type got a value PostgreSQL accepted.
    const { rows: sample } = await pg.query(
      `SELECT * FROM public.${table} WHERE token IS NOT NULL AND attributes ? 'word' LIMIT 1`,
    );
    expect(sample[0]).toMatchObject({
      gift: expect.any(Boolean),
      status: expect.any(String),
    });

    // A second run continues after the existing keys and updates them too.
    const again = await loadgen.runLoad({
      spec,
      rate: 200,
      seconds: 1,
      postgres,
    });
    expect(again.events).toBe(200);
    const { rows: after } = await pg.query(
      `SELECT count(*)::int AS n FROM public.${table}`,
    );
    expect(after[0].n).toBe(
      result.inserts - result.deletes + again.inserts - again.deletes,
    );
  });

  it('produces the same changes as Debezium events straight to a CDC topic', async () => {
    const topic = `lg.${run}.public.${table}`;
    const { kafka, admin, plan } = await cdcTopic(topic);
    const result = await loadgen.runLoad({
      spec,
      plan,
      mode: 'kafka',
      rate: 1000,
      seconds: 3,
      kafka: { brokers: (process.env.LP_KAFKA_BROKERS ?? '').split(',') },
    });
    expect(result.events).toBe(3000);
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.reduce((s, p) => s + Number(p.high), 0)).toBe(3000);

    const seen = (await readTopic(kafka, topic, 3000)).map(m => ({
      key: JSON.parse(m.key),
      value: m.value,
    }));
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();

    const ops = new Map<string, number>();
    for (const { value } of seen)
      ops.set(value.op, (ops.get(value.op) ?? 0) + 1);
    expect(ops.get('c')).toBe(result.inserts);
    expect(ops.get('u')).toBe(result.updates);
    expect(ops.get('d')).toBe(result.deletes);
    const insert = seen.find(e => e.value.op === 'c')!.value;
    expect(insert.before).toBeNull();
    expect(insert.after).toMatchObject({
      order_id: expect.any(Number),
      amount: expect.stringMatching(/^\d+\.\d\d$/),
      ship_date: expect.any(Number),
      updated_at: expect.stringMatching(/Z$/),
    });
    expect(insert.source).toMatchObject({ schema: 'public', table });
    const deleted = seen.find(e => e.value.op === 'd')!;
    expect(deleted.value.after).toBeNull();
    expect(deleted.key).toEqual({ order_id: deleted.value.before.order_id });
    // Positions only grow, as a WAL position does.
    const lsns = seen.map(e => e.value.source.lsn).sort((a, b) => a - b);
    expect(new Set(lsns).size).toBe(3000);
  });

  it('replays the same events from the Java producer, stamped as they are sent', async () => {
    const { replayLoad } = await import('../bench/replayLoad.mjs');
    const topic = `lg.${run}.replay.${table}`;
    const { kafka, admin, plan } = await cdcTopic(topic);
    const pool = loadgen.eventPool({ spec, plan, events: 500, seed: 7 });
    const started = Date.now();
    // 4,000 events from a pool of 500: the pool wraps eight times.
    const result = await replayLoad({
      spec,
      plan,
      brokers: (process.env.LP_KAFKA_BROKERS ?? '').split(','),
      rate: 2000,
      seconds: 2,
      pool,
    });
    const finished = Date.now();
    expect(result).toMatchObject({
      events: 4000,
      acknowledged: 4000,
      pool: 500,
    });
    // Paced, not sent in one burst: never above the rate asked for (with
    // room for the clock's granularity). How far below it a loaded machine
    // falls is a benchmark's question (bench/), not this test's.
    expect(result.rate).toBeGreaterThan(0);
    expect(result.rate).toBeLessThanOrEqual(2000 * 1.05);
    expect(finished - started).toBeGreaterThanOrEqual(1900);
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(4000);

    const seen = await readTopic(kafka, topic, 4000);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();

    // The pool's events (same seed: the same keys and images), stamped anew.
    const pooled = new Map(
      pool.map(e => [`${e.key} ${e.value.replace(/@@(LSN|TS)@@/g, '0')}`, e]),
    );
    const unstamped = (e: { key: string; value: any }) =>
      `${e.key} ${JSON.stringify({
        ...e.value,
        source: { ...e.value.source, lsn: 0, ts_ms: 0 },
        ts_ms: 0,
      })}`;
    expect(seen.filter(e => !pooled.has(unstamped(e)))).toEqual([]);
    expect(new Set(seen.map(e => e.value.op))).toEqual(
      new Set(['c', 'u', 'd']),
    );
    // A new LSN for every event, and the send time as both timestamps.
    expect(new Set(seen.map(e => e.value.source.lsn)).size).toBe(4000);
    for (const { value } of seen) {
      expect(value.ts_ms).toBe(value.source.ts_ms);
      expect(value.source.ts_ms).toBeGreaterThanOrEqual(started);
      expect(value.source.ts_ms).toBeLessThanOrEqual(finished);
    }
  });

  it('the replay producer says what to fix', async () => {
    const { replayLoad } = await import('../bench/replayLoad.mjs');
    await expect(
      replayLoad({
        spec,
        plan: planFor('lg.unused'),
        brokers: (process.env.LP_KAFKA_BROKERS ?? '').split(','),
        rate: 0,
        seconds: 1,
        poolEvents: 10,
      }),
    ).rejects.toThrow('--rate must be a number above 0; got 0');
    expect(() =>
      loadgen.eventPool({ spec, plan: planFor('t'), events: 0 }),
    ).toThrow('events must be a whole number above 0; got 0');
  });

  it("drives ClickHouse's Kafka engine reference to the same rows the events describe", async () => {
    const { kafkaEngineStatements, dropKafkaEngineStatements } = await import(
      '../bench/kafkaEngine.mjs'
    );
    const ch = async (sql: string) => {
      const response = await fetch(`${process.env.LP_CLICKHOUSE_URL}/`, {
        method: 'POST',
        body: sql,
        headers: {
          'X-ClickHouse-User': process.env.LP_CLICKHOUSE_USER ?? 'default',
          'X-ClickHouse-Key': process.env.LP_CLICKHOUSE_PASSWORD ?? '',
        },
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${text} (statement: ${sql})`);
      return text.trim();
    };
    const topic = `lg.${run}.engine.${table}`;
    const { kafka, admin, plan } = await cdcTopic(topic);
    const types: Record<string, string> = {
      order_id: 'Int64',
      customer_id: 'Int64',
      status: 'String',
      amount: 'Decimal(12, 2)',
      quantity: 'Int32',
      ratio: 'Float64',
      gift: 'Bool',
      ship_date: 'Date32',
      token: 'UUID',
      attributes: 'String',
      note: 'String',
      updated_at: "DateTime64(6, 'UTC')",
    };
    const columns = spec.spec.source.postgres.tables[0].columns;
    const jobsTable = {
      ...plan.tables[0],
      columns: plan.tables[0].columns.map(c => ({
        ...c,
        clickhouse: types[c.name],
        nullable: columns.find(s => s.name === c.name)?.nullable !== false,
      })),
    };
    const result = await loadgen.runLoad({
      spec,
      plan,
      mode: 'kafka',
      rate: 1000,
      seconds: 2,
      kafka: { brokers: (process.env.LP_KAFKA_BROKERS ?? '').split(',') },
    });
    const events = await readTopic(kafka, topic, result.events);
    await admin.disconnect();
    // What the events describe: the last image of every key, unless deleted.
    const last = new Map<string, any>();
    for (const { value } of events) {
      const image = value.op === 'd' ? value.before : value.after;
      last.set(String(image.order_id), value);
    }
    const live = [...last.values()].filter(v => v.op !== 'd');
    const cents = live.reduce(
      (sum, v) => sum + Math.round(Number(v.after.amount) * 100),
      0,
    );

    const target = `default.lg_engine_${run}`;
    await ch(
      `CREATE TABLE ${target} (${jobsTable.columns
        .map(
          c =>
            `\`${c.name}\` ${
              c.nullable ? `Nullable(${c.clickhouse})` : c.clickhouse
            }`,
        )
        .join(
          ', ',
        )}, _lsn UInt64, _op LowCardinality(String), _is_deleted UInt8,
        _source_ts DateTime64(3, 'UTC'), _kafka_partition UInt32, _kafka_offset UInt64,
        _fingerprint Int64) ENGINE = ReplacingMergeTree(_lsn, _is_deleted) ORDER BY order_id`,
    );
    try {
      for (const sql of kafkaEngineStatements({
        table: jobsTable,
        target,
        brokers: process.env.LP_KAFKA_BROKERS,
        group: `lg-engine-${run}`,
        consumers: 2,
      }))
        await ch(sql);
      await waitFor(
        "the Kafka engine's copy of every event",
        async () =>
          Number(
            await ch(
              `SELECT sum(m + 1) FROM (SELECT max(_kafka_offset) AS m FROM ${target} GROUP BY _kafka_partition)`,
            ),
          ) >= result.events
            ? true
            : undefined,
        60_000,
        500,
      );
      for (const sql of dropKafkaEngineStatements(target)) await ch(sql);
      const [count, sum] = (
        await ch(
          `SELECT count(), toInt64(sum(amount) * 100) FROM ${target} FINAL WHERE _is_deleted = 0`,
        )
      ).split('\t');
      expect(Number(count)).toBe(live.length);
      expect(Number(sum)).toBe(cents);
      // One row decoded column by column, as the event carries it.
      const sample = live[live.length - 1];
      const row = JSON.parse(
        await ch(
          `SELECT * FROM ${target} FINAL WHERE order_id = ${sample.after.order_id} FORMAT JSONEachRow SETTINGS output_format_json_quote_64bit_integers = 0`,
        ),
      );
      expect(row).toMatchObject({
        order_id: sample.after.order_id,
        status: sample.after.status,
        amount: Number(sample.after.amount),
        gift: sample.after.gift,
        token: sample.after.token,
        ship_date: new Date(sample.after.ship_date * 86_400_000)
          .toISOString()
          .slice(0, 10),
        _op: sample.op,
        _lsn: sample.source.lsn,
      });
      expect(new Date(`${row.updated_at.replace(' ', 'T')}Z`).getTime()).toBe(
        new Date(sample.after.updated_at).getTime(),
      );
    } finally {
      for (const sql of dropKafkaEngineStatements(target))
        await ch(sql).catch(() => undefined);
      await ch(`DROP TABLE IF EXISTS ${target}`).catch(() => undefined);
    }
  });

  it('says what to fix', async () => {
    expect(() => loadgen.parseMix('60,40')).toThrow(
      "--mix must be three percentages insert,update,delete such as 60,35,5; got '60,40'",
    );
    expect(() => loadgen.parseMix('0,50,50')).toThrow(/needs some inserts/);
    expect(() =>
      loadgen.checkTypes({
        spec: {
          source: {
            postgres: {
              tables: [{ columns: [{ name: 'shape', type: 'geometry' }] }],
            },
          },
        },
      }),
    ).toThrow(
      "the load generator cannot make values of type 'geometry' (column shape)",
    );
    await expect(
      loadgen.runLoad({ spec, rate: 0, seconds: 1, postgres }),
    ).rejects.toThrow('--rate must be events per second above 0; got 0');
  });
});
