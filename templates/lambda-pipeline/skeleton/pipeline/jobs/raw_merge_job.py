"""Raw landing zone -> Iceberg, for pipelines whose lake sink is the S3 raw sink.

    spark-submit jobs/raw_merge_job.py --config jobs/pipeline.json [--format json|parquet]

The raw sink lands Debezium change events as files under
``batch.rawLocation`` (one JSON event per line; or Parquet with the event in a
``value`` column). This job picks up the files not merged yet (Spark's file
source remembers them in ``batch.rawCheckpointLocation``), routes each event
to its table by the envelope's ``source.schema``/``source.table``, and appends
it verbatim to that table's Iceberg table, the same tables the batch job reads.

Exactly once: each micro-batch's appends carry the query and batch id as a
snapshot property, and a batch replayed after a crash skips tables that
already have that snapshot.

The raw zone does not carry Kafka partitions and offsets: those columns stay
NULL, and the batch job orders versions by the source LSN alone.
"""

from __future__ import annotations

import json
import logging
import sys

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lpjobs import config

log = logging.getLogger("raw_merge_job")

SOURCE = T.StructType(
    [T.StructField("source", T.StructType([T.StructField("schema", T.StringType()), T.StructField("table", T.StringType())]))]
)
BATCH_PROPERTY = "lp.raw-merge.batch"


def ensure_table(spark: SparkSession, identifier: str) -> None:
    spark.sql(
        "CREATE TABLE IF NOT EXISTS {} (value STRING, _kafka_metadata_topic STRING, "
        "_kafka_metadata_partition INT, _kafka_metadata_offset BIGINT, _landed_file STRING) USING iceberg".format(identifier)
    )


def already_appended(spark: SparkSession, identifier: str, batch: str) -> bool:
    rows = spark.sql(
        "SELECT 1 FROM {}.snapshots WHERE summary['{}'] = '{}' LIMIT 1".format(identifier, BATCH_PROPERTY, batch)
    ).collect()
    return bool(rows)


class Merger:
    def __init__(self, spark: SparkSession, cfg: config.Config):
        self.spark = spark
        self.cfg = cfg
        self.catalog = cfg.get("batch.icebergCatalog")

    def __call__(self, files: DataFrame, batch_id: int) -> None:
        events = files.select(
            F.col("value"),
            F.input_file_name().alias("_landed_file"),
            F.from_json(F.col("value"), SOURCE).alias("_envelope"),
        ).persist()
        try:
            batch = "{}:{}".format(self.spark.conf.get("spark.app.id"), batch_id)
            for table in self.cfg.tables:
                schema, name = table.source.split(".", 1)
                rows = events.where((F.col("_envelope.source.schema") == schema) & (F.col("_envelope.source.table") == name))
                identifier = "{}.{}".format(self.catalog, table.iceberg_table)
                ensure_table(self.spark, identifier)
                if already_appended(self.spark, identifier, batch):
                    log.info("batch %s already in %s; skipped", batch, identifier)
                    continue
                (
                    rows.select(
                        F.col("value"),
                        F.lit(table.topic).alias("_kafka_metadata_topic"),
                        F.lit(None).cast("INT").alias("_kafka_metadata_partition"),
                        F.lit(None).cast("BIGINT").alias("_kafka_metadata_offset"),
                        F.col("_landed_file"),
                    )
                    .writeTo(identifier)
                    .option("snapshot-property.{}".format(BATCH_PROPERTY), batch)
                    .append()
                )
            unrouted = events.where(F.col("_envelope.source.table").isNull()).count()
            if unrouted:
                log.warning("batch %s: %s line(s) are not change events and were not merged", batch_id, unrouted)
        finally:
            events.unpersist()
        log.info(json.dumps({"event": "raw_merge_batch", "batch": batch_id}))


def main(argv: list[str]) -> int:
    parser = config.argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--format", choices=("json", "parquet"), default="json", help="how the raw sink lands events")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    cfg = config.load(args.config, args.overrides)
    builder = SparkSession.builder.appName("{}-raw-merge".format(cfg.get("pipeline"))).config("spark.sql.session.timeZone", "UTC")
    spark = config.with_catalog_credentials(builder, cfg.get("batch.icebergCatalog")).getOrCreate()
    location = cfg.get("batch.rawLocation")
    if args.format == "json":
        files = spark.readStream.format("text").load(location)
    else:
        files = spark.readStream.schema(T.StructType([T.StructField("value", T.StringType())])).parquet(location)
    query = (
        files.writeStream.foreachBatch(Merger(spark, cfg))
        .option("checkpointLocation", cfg.get("batch.rawCheckpointLocation"))
        # Runs as an Airflow task: merge what has landed, then stop.
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
