// The load generator of the local profile: OLTP changes (inserts, updates,
// deletes) into the pipeline's source tables in PostgreSQL at a set rate, so
// Debezium captures them; or the same changes as Debezium change events
// produced straight to the CDC topics (to drive the layers without the CDC
// path). Each tick (1/10 s) commits one transaction per table; the run
// reports the rate it achieved and its commit latencies.
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { debeziumValue, isIntegerType, random, valueFor } from './values.mjs';

const TICKS_PER_SECOND = 10;
/** Change events per Kafka request (about 300 KB of Debezium JSON). */
const MAX_MESSAGES_PER_SEND = 500;
/** Rows per statement (PostgreSQL allows 65,535 parameters per statement). */
const MAX_ROWS_PER_STATEMENT = 2000;

const quote = name => `"${String(name).replace(/"/g, '""')}"`;

/** Parses `60,35,5` (insert, update, delete percentages). */
export function parseMix(text) {
  const parts = String(text).split(',').map(Number);
  if (parts.length !== 3 || parts.some(p => !Number.isFinite(p) || p < 0)) {
    throw new Error(
      `--mix must be three percentages insert,update,delete such as 60,35,5; got '${text}'`,
    );
  }
  const total = parts[0] + parts[1] + parts[2];
  if (total <= 0 || parts[0] <= 0) {
    throw new Error(
      `--mix needs some inserts (the first percentage), and percentages that add up to more than 0; got '${text}'`,
    );
  }
  return {
    insert: parts[0] / total,
    update: parts[1] / total,
    delete: parts[2] / total,
  };
}

/** The keys of one table that exist now, for updates and deletes (swap-remove keeps it O(1)). */
class LiveKeys {
  constructor() {
    this.keys = [];
  }
  add(n) {
    this.keys.push(n);
  }
  get size() {
    return this.keys.length;
  }
  /** Takes `count` distinct keys at random (removed; add back the ones that stay). */
  take(count, rng) {
    const out = [];
    for (let i = 0; i < count && this.keys.length > 0; i++) {
      const at = Math.floor(rng.next() * this.keys.length);
      out.push(this.keys[at]);
      this.keys[at] = this.keys[this.keys.length - 1];
      this.keys.pop();
    }
    return out;
  }
}

/** What one table needs to generate its rows: columns, key, the column values of row n. */
function tableModel(table, rng) {
  const key = new Set(table.primaryKey);
  const rowOf = (n, now) =>
    Object.fromEntries(
      table.columns.map(c => [
        c.name,
        valueFor(c, n, rng, { key: key.has(c.name), now }),
      ]),
    );
  return {
    source: `${table.schema}.${table.table}`,
    qualified: `${quote(table.schema)}.${quote(table.table)}`,
    columns: table.columns,
    keyColumns: table.columns.filter(c => key.has(c.name)),
    valueColumns: table.columns.filter(c => !key.has(c.name)),
    rowOf,
    live: new LiveKeys(),
    next: 1,
  };
}

/** Table `i`'s part of a tick's `count` events, spread evenly over `tables` tables. */
const shareOf = (count, i, tables) =>
  Math.floor(((i + 1) * count) / tables) - Math.floor((i * count) / tables);

/** How many events of each kind a tick of `count` events holds. */
function split(count, mix, live, rng) {
  let inserts = 0;
  let updates = 0;
  let deletes = 0;
  for (let i = 0; i < count; i++) {
    const r = rng.next();
    if (r < mix.insert || live <= updates + deletes) inserts++;
    else if (r < mix.insert + mix.update) updates++;
    else deletes++;
  }
  return { inserts, updates, deletes };
}

/** The keys one tick changes in a table: new keys for inserts, distinct live keys for updates and deletes. */
function pickKeys(model, ops, rng) {
  const inserted = [];
  for (let i = 0; i < ops.inserts; i++) inserted.push(model.next++);
  const updated = model.live.take(ops.updates, rng);
  const deleted = model.live.take(ops.deletes, rng);
  return {
    inserted,
    updated,
    deleted,
    /** After the changes are committed: inserted and updated keys exist, deleted ones do not. */
    commit: () => {
      for (const n of [...inserted, ...updated]) model.live.add(n);
    },
    /** The changes failed: the keys taken for updates and deletes still exist. */
    undo: () => {
      for (const n of [...updated, ...deleted]) model.live.add(n);
    },
    events: inserted.length + updated.length + deleted.length,
  };
}

/** A tick's SQL for one table: INSERT, UPDATE ... FROM VALUES and DELETE, with their parameters. */
function sqlFor(model, keys, now) {
  const out = [];
  const cols = model.columns;
  const each = (list, fn) => {
    for (let i = 0; i < list.length; i += MAX_ROWS_PER_STATEMENT)
      out.push(fn(list.slice(i, i + MAX_ROWS_PER_STATEMENT)));
  };
  /** `($1::type, ...)` tuples of `columns` for rows `ns`, and their parameters. */
  const tuples = (ns, columns) => {
    const values = [];
    const rows = ns.map(n => {
      const row = model.rowOf(n, now);
      return `(${columns
        .map(c => {
          values.push(row[c.name]);
          return `$${values.length}::${c.type}`;
        })
        .join(', ')})`;
    });
    return { rows: rows.join(', '), values };
  };
  const names = columns => columns.map(c => quote(c.name)).join(', ');
  each(keys.inserted, ns => {
    const { rows, values } = tuples(ns, cols);
    return {
      text: `INSERT INTO ${model.qualified} (${names(cols)}) VALUES ${rows}`,
      values,
    };
  });
  if (model.valueColumns.length > 0) {
    each(keys.updated, ns => {
      const { rows, values } = tuples(ns, cols);
      const set = model.valueColumns
        .map(c => `${quote(c.name)} = v.${quote(c.name)}`)
        .join(', ');
      const on = model.keyColumns
        .map(c => `t.${quote(c.name)} = v.${quote(c.name)}`)
        .join(' AND ');
      return {
        text: `UPDATE ${
          model.qualified
        } AS t SET ${set} FROM (VALUES ${rows}) AS v(${names(
          cols,
        )}) WHERE ${on}`,
        values,
      };
    });
  }
  each(keys.deleted, ns => {
    const { rows, values } = tuples(ns, model.keyColumns);
    return {
      text: `DELETE FROM ${model.qualified} WHERE (${names(
        model.keyColumns,
      )}) IN (${rows})`,
      values,
    };
  });
  return out;
}

/**
 * The tick's changes as Debezium publishes them (schemaless JSON, keyed by the
 * primary key): `c` with the after image, `u` with both images, `d` with the
 * before image. The generator does not keep row contents, so a before image
 * carries the row's key with generated values: consumers take the key and
 * the operation from it, as they do from a real delete.
 */
function eventsFor(model, keys, jobsTable, now, nextLsn) {
  const kinds = new Map(jobsTable.columns.map(c => [c.name, c.debezium]));
  const [schema, table] = model.source.split('.');
  const encode = n =>
    Object.fromEntries(
      Object.entries(model.rowOf(n, now)).map(([k, v]) => [
        k,
        debeziumValue(kinds.get(k), v),
      ]),
    );
  const keyOf = row =>
    JSON.stringify(
      Object.fromEntries(jobsTable.primaryKey.map(k => [k, row[k]])),
    );
  const envelope = (op, before, after) =>
    JSON.stringify({
      before,
      after,
      source: { lsn: nextLsn(), ts_ms: now.getTime(), schema, table },
      op,
      ts_ms: Date.now(),
    });
  return [
    ...keys.inserted.map(n => {
      const after = encode(n);
      return { key: keyOf(after), value: envelope('c', null, after) };
    }),
    ...keys.updated.map(n => {
      const after = encode(n);
      return { key: keyOf(after), value: envelope('u', encode(n), after) };
    }),
    ...keys.deleted.map(n => {
      const before = encode(n);
      return { key: keyOf(before), value: envelope('d', before, null) };
    }),
  ];
}

/** CREATE TABLE for a spec table (the local profile's source database has none until the demo creates them). */
export function createTableSql(table) {
  const columns = table.columns.map(
    c =>
      `${quote(c.name)} ${c.type}${
        c.nullable === false || table.primaryKey.includes(c.name)
          ? ' NOT NULL'
          : ''
      }`,
  );
  return (
    `CREATE TABLE IF NOT EXISTS ${quote(table.schema)}.${quote(table.table)} ` +
    `(${columns.join(', ')}, PRIMARY KEY (${table.primaryKey
      .map(quote)
      .join(', ')}))`
  );
}

const percentile = (sorted, p) =>
  sorted.length === 0
    ? null
    : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/**
 * Runs the load. `spec` is the pipeline spec (its source tables), `plan` the
 * jobs config (topics and Debezium encodings, for `mode: 'kafka'`).
 */
export async function runLoad(options) {
  const {
    spec,
    plan,
    mode = 'postgres',
    rate,
    seconds,
    mix = parseMix('60,35,5'),
    seed = 1,
    postgres,
    kafka,
    create = false,
    onProgress = () => {},
    /** Called after every commit with the events committed so far and the wall time (ms), e.g. to time how fast they travel. */
    onCommit = () => {},
    signal,
  } = options;
  if (!Number.isFinite(rate) || rate <= 0)
    throw new Error(`--rate must be events per second above 0; got ${rate}`);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new Error(`--seconds must be above 0; got ${seconds}`);
  const rng = random(seed);
  const tables = spec.spec.source.postgres.tables.map(t => tableModel(t, rng));

  let client;
  let producer;
  let lsn = Date.now() * 1000;
  const topics = new Map();
  if (mode === 'postgres') {
    client = new pg.Client(postgres);
    await client.connect();
    for (const [i, table] of spec.spec.source.postgres.tables.entries()) {
      if (create) await client.query(createTableSql(table));
      const model = tables[i];
      // Continue after the rows already there: new keys for inserts, the newest existing ones for updates and deletes.
      if (
        model.keyColumns.length === 1 &&
        isIntegerType(model.keyColumns[0].type)
      ) {
        const key = quote(model.keyColumns[0].name);
        const { rows } = await client.query(
          `SELECT ${key} AS k FROM ${model.qualified} ORDER BY ${key} DESC LIMIT 100000`,
        );
        for (const row of rows) model.live.add(Number(row.k));
        model.next = rows.length ? Number(rows[0].k) + 1 : 1;
      } else {
        model.next = Date.now();
      }
    }
  } else if (mode === 'kafka') {
    if (!plan)
      throw new Error(
        'producing to Kafka needs the plan (jobs/pipeline.json) for the topics and encodings',
      );
    for (const t of plan.tables) topics.set(t.source, t);
    for (const model of tables) {
      if (!topics.has(model.source))
        throw new Error(
          `the plan has no topic for source table ${model.source}`,
        );
      model.next = Date.now();
    }
    const client_ = new Kafka({
      clientId: 'lp-loadgen',
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    });
    producer = client_.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  } else {
    throw new Error(`mode must be 'postgres' or 'kafka'; got '${mode}'`);
  }

  const totals = { events: 0, inserts: 0, updates: 0, deletes: 0, commits: 0 };
  const commitMs = [];
  const started = Date.now();
  const totalTicks = Math.round(seconds * TICKS_PER_SECOND);
  let lastReport = started;
  try {
    for (let tick = 0; tick < totalTicks && !signal?.aborted; tick++) {
      const due = started + (tick * 1000) / TICKS_PER_SECOND;
      const wait = due - Date.now();
      if (wait > 0) await new Promise(r => setTimeout(r, wait));
      const count =
        Math.floor(((tick + 1) * rate) / TICKS_PER_SECOND) -
        Math.floor((tick * rate) / TICKS_PER_SECOND);
      for (const [i, model] of tables.entries()) {
        const share = shareOf(count, i, tables.length);
        if (share === 0) continue;
        const now = new Date();
        const ops = split(share, mix, model.live.size, rng);
        const keys = pickKeys(model, ops, rng);
        const t0 = performance.now();
        try {
          if (mode === 'postgres') {
            await client.query('BEGIN');
            for (const statement of sqlFor(model, keys, now))
              await client.query(statement);
            await client.query('COMMIT');
          } else {
            const target = topics.get(model.source);
            const messages = eventsFor(model, keys, target, now, () => lsn++);
            // Requests under the broker's 1 MB limit, sent together (a key
            // changes at most once per tick, so their order does not matter).
            const sends = [];
            for (let i = 0; i < messages.length; i += MAX_MESSAGES_PER_SEND)
              sends.push(
                producer.send({
                  topic: target.topic,
                  messages: messages.slice(i, i + MAX_MESSAGES_PER_SEND),
                }),
              );
            await Promise.all(sends);
          }
        } catch (error) {
          keys.undo();
          if (mode === 'postgres')
            await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`${model.source}: ${error.message}`);
        }
        commitMs.push(performance.now() - t0);
        keys.commit();
        totals.commits++;
        totals.inserts += keys.inserted.length;
        totals.updates += keys.updated.length;
        totals.deletes += keys.deleted.length;
        totals.events += keys.events;
        onCommit(totals.events, Date.now());
      }
      if (Date.now() - lastReport >= 5000) {
        lastReport = Date.now();
        onProgress({ ...totals, seconds: (Date.now() - started) / 1000 });
      }
    }
  } finally {
    await client?.end().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }
  const elapsed = (Date.now() - started) / 1000;
  const sorted = commitMs.sort((a, b) => a - b);
  return {
    mode,
    targetRate: rate,
    ...totals,
    seconds: Math.round(elapsed * 100) / 100,
    rate: Math.round((totals.events / elapsed) * 10) / 10,
    commitMs: {
      p50: round(percentile(sorted, 0.5)),
      p95: round(percentile(sorted, 0.95)),
      max: round(sorted[sorted.length - 1] ?? null),
    },
  };
}

const round = x => (x === null ? null : Math.round(x * 10) / 10);

/**
 * A pool of `events` change events in Kafka mode, for the benchmark's replay
 * producer (stack/bench/ReplayProducer.java): `{ topic, key, value }` made
 * tick by tick as `runLoad` makes them (same mix, keys and values), except
 * that the value's LSN is `@@LSN@@` and its two timestamps `@@TS@@`, which
 * the producer stamps as it sends.
 */
export function eventPool({
  spec,
  plan,
  events,
  rate = events,
  mix = parseMix('60,35,5'),
  seed = 1,
}) {
  if (!Number.isInteger(events) || events <= 0)
    throw new Error(`events must be a whole number above 0; got ${events}`);
  const rng = random(seed);
  const tables = spec.spec.source.postgres.tables.map(t => tableModel(t, rng));
  const topics = new Map(plan.tables.map(t => [t.source, t]));
  for (const model of tables) {
    if (!topics.has(model.source))
      throw new Error(`the plan has no topic for source table ${model.source}`);
    model.next = Date.now();
  }
  const perTick = Math.max(1, Math.round(rate / TICKS_PER_SECOND));
  const out = [];
  while (out.length < events) {
    const now = new Date();
    for (const [i, model] of tables.entries()) {
      const share = shareOf(perTick, i, tables.length);
      if (share === 0) continue;
      const keys = pickKeys(
        model,
        split(share, mix, model.live.size, rng),
        rng,
      );
      const target = topics.get(model.source);
      for (const message of eventsFor(model, keys, target, now, () => 0)) {
        const value = JSON.parse(message.value);
        value.source.lsn = '@@LSN@@';
        value.source.ts_ms = '@@TS@@';
        value.ts_ms = '@@TS@@';
        out.push({
          topic: target.topic,
          key: message.key,
          value: JSON.stringify(value).replace(/"(@@(?:LSN|TS)@@)"/g, '$1'),
        });
      }
      keys.commit();
    }
  }
  return out.slice(0, events);
}

/** Checks every source column's type before a run, naming the first the generator cannot fill. */
export function checkTypes(spec) {
  for (const table of spec.spec.source.postgres.tables)
    for (const column of table.columns) valueFor(column, 1, random(1));
}
