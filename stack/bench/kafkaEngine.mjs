// ClickHouse's own Kafka table engine reading a pipeline's CDC topic into a
// copy of its speed table: the reference the speed-layer benchmark compares
// the Spark job with. A Kafka table takes each Debezium change event as one
// string (JSONAsString); a materialized view decodes it as the speed job
// does (the after image, or the before image of a delete; Debezium's
// encodings; the envelope's LSN, operation and commit time; the Kafka
// coordinates) and inserts into the copy. `_fingerprint` is left 0: the
// reference does less work than the job there.

const quoteIdent = name => `\`${String(name).replace(/`/g, '\\`')}\``;
const quoteString = text =>
  `'${String(text).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** One column's value from the image `img`, decoded from its Debezium encoding. */
function decode(column) {
  const key = quoteString(column.name);
  const value = {
    number: `JSONExtractRaw(img, ${key})`,
    boolean: `JSONExtractBool(img, ${key})`,
    string: `JSONExtractString(img, ${key})`,
    'decimal-string': `JSONExtractString(img, ${key})`,
    'epoch-days': `addDays(toDate32('1970-01-01'), JSONExtractInt(img, ${key}))`,
    'epoch-micros': `fromUnixTimestamp64Micro(JSONExtractInt(img, ${key}), 'UTC')`,
    'iso-instant': `parseDateTime64BestEffort(JSONExtractString(img, ${key}), 6, 'UTC')`,
  }[column.debezium];
  if (!value)
    throw new Error(
      `column ${column.name}: no decoding for Debezium encoding '${column.debezium}'`,
    );
  const type = column.nullable
    ? `Nullable(${column.clickhouse})`
    : column.clickhouse;
  return `CAST(if(JSONHas(img, ${key}) AND JSONType(img, ${key}) != 'Null', ${value}, NULL) AS ${type}) AS ${quoteIdent(
    column.name,
  )}`;
}

/**
 * The statements that make ClickHouse consume `table.topic` (a jobs/pipeline.json
 * table) into `target` (created beforehand like the speed table): a Kafka
 * table and a materialized view, both named after `target`.
 */
export function kafkaEngineStatements({
  table,
  target,
  brokers,
  group,
  consumers = 1,
}) {
  const queue = `${target}_queue`;
  const view = `${target}_mv`;
  return [
    `CREATE TABLE ${queue} (raw String) ENGINE = Kafka SETTINGS
       kafka_broker_list = ${quoteString(brokers)},
       kafka_topic_list = ${quoteString(table.topic)},
       kafka_group_name = ${quoteString(group)},
       kafka_format = 'JSONAsString',
       kafka_num_consumers = ${consumers},
       kafka_thread_per_consumer = 1`,
    `CREATE MATERIALIZED VIEW ${view} TO ${target} AS
     SELECT
       ${table.columns.map(decode).join(',\n       ')},
       JSONExtractUInt(raw, 'source', 'lsn') AS _lsn,
       op AS _op,
       toUInt8(op = 'd') AS _is_deleted,
       fromUnixTimestamp64Milli(JSONExtractInt(raw, 'source', 'ts_ms'), 'UTC') AS _source_ts,
       toUInt32(_partition) AS _kafka_partition,
       _offset AS _kafka_offset,
       toInt64(0) AS _fingerprint
     FROM (
       SELECT raw, _partition, _offset,
         JSONExtractString(raw, 'op') AS op,
         if(op = 'd', JSONExtractRaw(raw, 'before'), JSONExtractRaw(raw, 'after')) AS img
       FROM ${queue}
     )`,
  ];
}

/** Drops what `kafkaEngineStatements` created (the view first, so nothing more is consumed). */
export function dropKafkaEngineStatements(target) {
  return [
    `DROP VIEW IF EXISTS ${target}_mv`,
    `DROP TABLE IF EXISTS ${target}_queue`,
  ];
}
