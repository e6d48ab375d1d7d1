// Debezium's PostgreSQL connector on the stack's Kafka Connect: a table's
// snapshot, INSERT, UPDATE and DELETE arrive in Kafka as change events with
// the right op, key and values (read with kafkajs, as the product does).
import { Client } from 'pg';
import {
  connectApi,
  failIfConnectorFailed,
  waitForConnectorRunning,
  kafkaClient,
  waitFor,
} from './support';

const CONNECTOR_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';

/** A Debezium event with JsonConverter schemas enabled: { schema, payload }. */
type Envelope = {
  op: string;
  before: Row | null;
  after: Row | null;
  source: { table: string; db: string; lsn: number };
};
type Row = { id: number; name: string; qty: number };
type Event = {
  key: { id: number } | null;
  value: Envelope | null;
  offset: number;
};

describe('Debezium PostgreSQL source on Kafka Connect', () => {
  const run = `${Date.now().toString(36)}_${Math.random()
    .toString(36)
    .slice(2, 7)}`;
  const table = `lp_dbz_${run}`;
  const slot = `lp_dbz_${run}`;
  const publication = `lp_dbz_${run}_pub`;
  const prefix = `lp_dbz_${run}`;
  const connector = `lp-test-debezium-${run}`;
  const topic = `${prefix}.public.${table}`;
  const database = process.env.LP_POSTGRES_SOURCE_DATABASE ?? 'postgres';
  const pg = new Client({
    host: process.env.LP_POSTGRES_HOST,
    port: Number(process.env.LP_POSTGRES_PORT),
    user: process.env.LP_POSTGRES_USER,
    database,
  });
  const kafka = kafkaClient();
  const admin = kafka.admin();
  const consumer = kafka.consumer({ groupId: `lp-test-debezium-${run}` });
  const events: Event[] = [];

  /** Stops a wait at once when the connector or its task failed, with the worker's stack trace. */

  beforeAll(async () => {
    expect(process.env.LP_CONNECT_URL).toBeDefined();
    await pg.connect();
    await admin.connect();
    await pg.query(
      `create table public.${table} (id integer primary key, name text not null, qty integer not null)`,
    );
    // Present before the connector starts: arrives through the initial snapshot (op 'r').
    await pg.query(`insert into public.${table} values (1, 'snapshot row', 1)`);
  });

  /** Drops the slot once the connector's task has let go of it (it cannot be dropped while active). */
  const dropSlotWhenReleased = () =>
    waitFor(
      `replication slot ${slot} to be released and dropped`,
      async () => {
        const { rows } = await pg.query(
          'select active from pg_replication_slots where slot_name = $1',
          [slot],
        );
        if (rows.length === 0) return true;
        if (rows[0].active) return undefined;
        await pg.query('select pg_drop_replication_slot($1)', [slot]);
        return true;
      },
      30_000,
    );

  afterAll(async () => {
    await consumer.disconnect().catch(() => undefined);
    await connectApi('DELETE', `/connectors/${connector}`).catch(
      () => undefined,
    );
    await dropSlotWhenReleased().catch(error =>
      process.stderr.write(`cleanup: ${error}\n`),
    );
    await pg
      .query(`drop publication if exists ${publication}`)
      .catch(() => undefined);
    await pg
      .query(`drop table if exists public.${table}`)
      .catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await pg.end();
  });

  it('registers a pgoutput connector whose connector and task run', async () => {
    const created = await connectApi('PUT', `/connectors/${connector}/config`, {
      'connector.class': CONNECTOR_CLASS,
      'tasks.max': '1',
      'plugin.name': 'pgoutput',
      'database.hostname': process.env.LP_POSTGRES_HOST,
      'database.port': process.env.LP_POSTGRES_PORT,
      'database.user': process.env.LP_POSTGRES_USER,
      'database.dbname': database,
      'topic.prefix': prefix,
      'slot.name': slot,
      'publication.name': publication,
      'publication.autocreate.mode': 'filtered',
      'table.include.list': `public.${table}`,
      'snapshot.mode': 'initial',
      'decimal.handling.mode': 'precise',
      'heartbeat.interval.ms': '10000',
      'tombstones.on.delete': 'true',
    });
    expect(created.status).toBe(201);

    const status = await waitForConnectorRunning(connector);
    expect(status.connector.state).toBe('RUNNING');
    expect(status.tasks).toEqual([
      expect.objectContaining({ id: 0, state: 'RUNNING' }),
    ]);

    // Debezium created the slot (pgoutput) and a publication for just this table.
    const slotRow = await waitFor('the replication slot', async () => {
      const { rows } = await pg.query(
        'select plugin, slot_type, database from pg_replication_slots where slot_name = $1',
        [slot],
      );
      return rows[0];
    });
    expect(slotRow).toEqual({
      plugin: 'pgoutput',
      slot_type: 'logical',
      database,
    });
    const { rows: published } = await pg.query(
      'select schemaname, tablename from pg_publication_tables where pubname = $1',
      [publication],
    );
    expect(published).toEqual([{ schemaname: 'public', tablename: table }]);
  });

  it('streams the snapshot, an INSERT, an UPDATE and a DELETE with op r/c/u/d, keys and values', async () => {
    await waitFor(
      'the change topic',
      async () =>
        (await admin.listTopics()).includes(topic) ? true : undefined,
      60_000,
    );
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const parse = (buffer: Buffer | null) =>
          buffer === null ? null : JSON.parse(buffer.toString()).payload;
        events.push({
          key: parse(message.key),
          value: parse(message.value),
          offset: Number(message.offset),
        });
      },
    });
    // The snapshot has been read before the changes are made.
    await waitFor(
      'the snapshot event',
      async () => {
        await failIfConnectorFailed(connector);
        return events.some(e => e.value?.op === 'r') ? true : undefined;
      },
      60_000,
    );

    await pg.query(`insert into public.${table} values (2, 'inserted', 5)`);
    await pg.query(
      `update public.${table} set name = 'updated', qty = 6 where id = 2`,
    );
    await pg.query(`delete from public.${table} where id = 2`);

    // r, c, u, d and the tombstone that follows the delete.
    await waitFor(
      `5 events on ${topic}`,
      async () => {
        await failIfConnectorFailed(connector);
        return events.length >= 5 ? true : undefined;
      },
      60_000,
    );
    expect(events.map(e => e.value?.op ?? 'tombstone')).toEqual([
      'r',
      'c',
      'u',
      'd',
      'tombstone',
    ]);
    const [snapshot, insert, update, remove, tombstone] = events;

    expect(snapshot.key).toEqual({ id: 1 });
    expect(snapshot.value!.after).toEqual({
      id: 1,
      name: 'snapshot row',
      qty: 1,
    });

    expect(insert.key).toEqual({ id: 2 });
    expect(insert.value!.before).toBeNull();
    expect(insert.value!.after).toEqual({ id: 2, name: 'inserted', qty: 5 });
    expect(insert.value!.source).toEqual(
      expect.objectContaining({ db: database, table }),
    );

    expect(update.key).toEqual({ id: 2 });
    expect(update.value!.after).toEqual({ id: 2, name: 'updated', qty: 6 });

    expect(remove.key).toEqual({ id: 2 });
    expect(remove.value!.after).toBeNull();
    // With the default replica identity the old row carries its key.
    expect(remove.value!.before).toEqual(expect.objectContaining({ id: 2 }));

    expect(tombstone.key).toEqual({ id: 2 });
    expect(tombstone.value).toBeNull();

    // Source positions grow with the changes.
    expect(update.value!.source.lsn).toBeGreaterThan(insert.value!.source.lsn);
    expect(remove.value!.source.lsn).toBeGreaterThan(update.value!.source.lsn);
  });

  it('deletes the connector and frees the replication slot', async () => {
    const deleted = await connectApi('DELETE', `/connectors/${connector}`);
    expect(deleted.status).toBe(204);
    await waitFor('the connector to disappear', async () => {
      const list = (await connectApi('GET', '/connectors')).body as string[];
      return list.includes(connector) ? undefined : true;
    });
    await dropSlotWhenReleased();
    const { rows } = await pg.query(
      'select 1 from pg_replication_slots where slot_name = $1',
      [slot],
    );
    expect(rows).toHaveLength(0);
  });
});
