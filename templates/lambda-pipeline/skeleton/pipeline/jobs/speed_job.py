"""The speed layer: Debezium change events from Kafka into ClickHouse, continuously.

    spark-submit jobs/speed_job.py --config jobs/pipeline.json [--set path=value ...]

Every micro-batch: decode each CDC topic's events (lpjobs.cdc), send the ones
that cannot be read to the dead-letter topic with the reason, and insert the
rest into ClickHouse idempotently (lpjobs.clickhouse). The checkpoint (Spark's
``checkpointLocation``, on s3a:// with SSE-KMS in the cluster) records which
offsets are done; a restarted job resumes after the last committed batch.

Delivery: ClickHouse rows are exactly once (deduplicated inserts and a
ReplacingMergeTree on the source LSN). Dead letters are at least once: a batch
replayed after a crash may repeat them, with the same source topic,
partition and offset in their headers.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lpjobs import cdc, clickhouse, config

log = logging.getLogger("speed_job")

# ClickHouse columns written by the job, after the source columns.
META_COLUMNS = [
    cdc.LSN,
    cdc.OP,
    cdc.IS_DELETED,
    cdc.SOURCE_TS,
    cdc.KAFKA_PARTITION,
    cdc.KAFKA_OFFSET,
    cdc.FINGERPRINT,
]


def dead_letters(bad: DataFrame) -> DataFrame:
    """The original record with the reason and its origin as headers."""
    header = lambda key, value: F.struct(F.lit(key).alias("key"), value.cast("BINARY").alias("value"))  # noqa: E731
    return bad.select(
        F.col("key"),
        F.col("value"),
        F.array(
            header("lp.error", F.col(cdc.ERROR)),
            header("lp.source.topic", F.col("topic")),
            header("lp.source.partition", F.col(cdc.KAFKA_PARTITION).cast("STRING")),
            header("lp.source.offset", F.col(cdc.KAFKA_OFFSET).cast("STRING")),
        ).alias("headers"),
    )


class BatchWriter:
    def __init__(self, cfg: config.Config):
        self.cfg = cfg
        self.url = cfg.get("speed.clickhouseUrl")
        self.bootstrap = cfg.get("kafka.bootstrapServers")
        self.dead_letter_topic = cfg.get("kafka.deadLetterTopic")

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        started = time.monotonic()
        batch = batch.persist()
        written = rejected = 0
        try:
            for table in self.cfg.tables:
                events = cdc.decode_envelopes(batch.where(F.col("topic") == table.topic), table).persist()
                try:
                    bad = events.where(F.col(cdc.ERROR).isNotNull())
                    n_bad = bad.count()
                    if n_bad:
                        (
                            dead_letters(bad)
                            .write.format("kafka")
                            .option("kafka.bootstrap.servers", self.bootstrap)
                            .option("topic", self.dead_letter_topic)
                            .save()
                        )
                        log.warning("batch %s: %s event(s) of %s sent to %s", batch_id, n_bad, table.topic, self.dead_letter_topic)
                    good = events.where(F.col(cdc.ERROR).isNull())
                    columns = [c.name for c in table.columns] + META_COLUMNS
                    clickhouse.insert_rows(good, table.clickhouse_table, columns, self.url, table.clickhouse_table)
                    written += events.count() - n_bad
                    rejected += n_bad
                finally:
                    events.unpersist()
        finally:
            batch.unpersist()
        seconds = time.monotonic() - started
        # One JSON line per batch: rows/s and duration for logs and dashboards
        # (Spark's own streaming metrics are exported too).
        log.info(
            json.dumps(
                {
                    "event": "speed_batch",
                    "batch": batch_id,
                    "rows": written,
                    "deadLetters": rejected,
                    "seconds": round(seconds, 3),
                    "rowsPerSecond": round(written / seconds, 1) if seconds > 0 else None,
                }
            )
        )


def build_query(spark: SparkSession, cfg: config.Config, checkpoint: str):
    topics = ",".join(t.topic for t in cfg.tables)
    events = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", cfg.get("kafka.bootstrapServers"))
        .option("subscribe", topics)
        .option("startingOffsets", "earliest")
        # The upper bound per micro-batch (twice the target rate per trigger),
        # so a backlog drains in bounded batches.
        .option("maxOffsetsPerTrigger", str(cfg.get("speed.maxOffsetsPerTrigger")))
        # Fail rather than skip if retention removed offsets the job needed.
        .option("failOnDataLoss", "true")
        .option("kafka.group.id", cfg.get("speed.consumerGroup"))
        .load()
    )
    return (
        events.writeStream.queryName(cfg.get("speed.application"))
        .foreachBatch(BatchWriter(cfg))
        .option("checkpointLocation", checkpoint)
        .trigger(processingTime="{} seconds".format(cfg.get("speed.triggerIntervalSeconds")))
    )


def main(argv: list[str]) -> int:
    parser = config.argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--available-now", action="store_true", help="process what is in Kafka now, then stop (tests, backfills)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    cfg = config.load(args.config, args.overrides)
    spark = (
        SparkSession.builder.appName(cfg.get("speed.application"))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    checkpoint = cfg.get("speed.checkpointLocation")
    writer = build_query(spark, cfg, checkpoint)
    if args.available_now:
        writer = writer.trigger(availableNow=True)
    query = writer.start()
    log.info("speed job started: topics %s -> ClickHouse, checkpoint %s", [t.topic for t in cfg.tables], checkpoint)
    query.awaitTermination()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
