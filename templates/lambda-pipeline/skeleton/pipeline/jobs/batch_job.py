"""The batch layer: new Iceberg snapshots into Snowflake, one run at a time.

    spark-submit jobs/batch_job.py --config jobs/pipeline.json [--set path=value ...]

For every source table: read the Iceberg snapshots committed since the last
run (incrementally: the lake sink only appends), decode the Debezium events
as the speed job does (lpjobs.cdc), keep the latest version of each key,
load them into the staging table and MERGE into the table in one
transaction, through the official Snowflake Spark connector (lpjobs.snowflake).
Then record the watermark: the snapshot loaded, the next Kafka offset per
partition now in Snowflake, and the newest event time loaded (reconciliation
closes a window once its end plus the allowed lateness is behind it).

Re-running is safe: with no new snapshot there is nothing to do, and the
MERGE only replaces a row with a newer version (higher LSN).
"""

from __future__ import annotations

import json
import logging
import sys
import time

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from lpjobs import cdc, config
from lpjobs.snowflake import Snowflake

log = logging.getLogger("batch_job")


def latest_per_key(rows: DataFrame, key: tuple[str, ...]) -> DataFrame:
    """One row per key: the highest source position wins (Kafka offset breaks ties)."""
    newest_first = Window.partitionBy(*key).orderBy(F.col(cdc.LSN).desc(), F.col(cdc.KAFKA_OFFSET).desc())
    return rows.withColumn("_rank", F.row_number().over(newest_first)).where("_rank = 1").drop("_rank")


def snapshot_state(spark: SparkSession, identifier: str):
    """The newest snapshot of a table, or None when the table does not exist or is empty."""
    if not spark.catalog.tableExists(identifier):
        return None
    rows = (
        spark.sql("SELECT snapshot_id, summary FROM {}.snapshots ORDER BY committed_at DESC LIMIT 1".format(identifier))
        .collect()
    )
    return rows[0] if rows else None


def loaded_offsets(events: DataFrame, previous: dict) -> dict:
    """Next Kafka offset per CDC topic partition now in the batch layer (this load merged into the last)."""
    offsets = {topic: dict(partitions) for topic, partitions in previous.items()}
    # The raw landing zone carries no Kafka coordinates (NULL): nothing to record then.
    located = events.where(F.col(cdc.KAFKA_PARTITION).isNotNull())
    for row in located.groupBy("topic", cdc.KAFKA_PARTITION).agg(F.max(cdc.KAFKA_OFFSET).alias("last")).collect():
        partitions = offsets.setdefault(row["topic"], {})
        key = str(row[cdc.KAFKA_PARTITION])
        partitions[key] = max(int(partitions.get(key, 0)), int(row["last"]) + 1)
    return offsets


def max_event_time_ms(rows: DataFrame, column: str) -> int | None:
    """Newest event time among the rows, in epoch milliseconds (None when empty)."""
    value = rows.agg(F.max(F.unix_millis(F.col(column).cast("TIMESTAMP"))).alias("m")).collect()[0]["m"]
    return int(value) if value is not None else None


def load_table(spark: SparkSession, cfg: config.Config, snowflake: Snowflake, table: config.Table) -> dict:
    catalog = cfg.get("batch.icebergCatalog")
    identifier = "{}.{}".format(catalog, table.iceberg_table)
    watermark_table = cfg.get("batch.snowflake.watermarkTable")
    state = snapshot_state(spark, identifier)
    if state is None:
        return {"table": table.source, "status": "no data in the lake yet"}
    current = int(state["snapshot_id"])
    last, previous_offsets, previous_complete = snowflake.last_state(watermark_table, table)
    if last == current:
        return {"table": table.source, "status": "up to date", "snapshot": current}
    reader = spark.read.format("iceberg")
    if last is None:
        lake_rows = reader.option("snapshot-id", current).load(identifier)
    else:
        # Appends after `last` (exclusive) up to `current` (inclusive).
        lake_rows = reader.option("start-snapshot-id", last).option("end-snapshot-id", current).load(identifier)
    events = cdc.decode_envelopes(cdc.lake_rows_as_kafka_records(lake_rows), table).persist()
    try:
        unreadable = events.where(F.col(cdc.ERROR).isNotNull()).count()
        if unreadable:
            # The speed job already sent these to the dead-letter topic.
            log.warning("%s: %s event(s) cannot be read and are skipped", table.source, unreadable)
        good = events.where(F.col(cdc.ERROR).isNull())
        rows = latest_per_key(good, table.primary_key)
        loaded = snowflake.load_and_merge(rows, table)
        offsets = loaded_offsets(events, previous_offsets)
        # The event-time watermark: the newest event time the batch layer has
        # seen. Reconciliation closes a window once its end plus the allowed
        # lateness is behind it.
        newest = max_event_time_ms(good, table.event_time_column)
        complete_up_to = max(v for v in (newest, previous_complete) if v is not None) if (newest or previous_complete) else None
    finally:
        events.unpersist()
    snowflake.record_watermark(watermark_table, table, current, offsets, complete_up_to)
    return {"table": table.source, "status": "loaded", "snapshot": current, "previousSnapshot": last, "rows": loaded, "skipped": unreadable}


def main(argv: list[str]) -> int:
    parser = config.argument_parser(__doc__.splitlines()[0])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    cfg = config.load(args.config, args.overrides)
    builder = (
        SparkSession.builder.appName(cfg.get("batch.application"))
        .config("spark.sql.session.timeZone", "UTC")
        # The Snowflake connector writes timestamps in the executor JVM's zone: UTC everywhere.
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
    )
    spark = config.with_catalog_credentials(builder, cfg.get("batch.icebergCatalog")).getOrCreate()
    # local mode: the executors are threads of this JVM
    spark._jvm.java.util.TimeZone.setDefault(spark._jvm.java.util.TimeZone.getTimeZone("UTC"))
    snowflake = Snowflake(cfg, spark)
    started = time.monotonic()
    try:
        for table in cfg.tables:
            result = load_table(spark, cfg, snowflake, table)
            log.info(json.dumps({"event": "batch_load", **result}))
    finally:
        snowflake.close()
        spark.stop()
    log.info(json.dumps({"event": "batch_done", "seconds": round(time.monotonic() - started, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
