"""Debezium change events -> typed rows, and the row fingerprint.

Both layers decode through this module: the speed job from the Kafka
envelope, the batch job from the columns the lake sink wrote. Each value goes
through its text form and the column's Debezium encoding (see
``jobs/pipeline.json``), so a row has the same typed values, and the same
fingerprint, in ClickHouse and in Snowflake.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .config import Table

# Metadata columns every layer stores next to the source columns.
LSN = "_lsn"
OP = "_op"
IS_DELETED = "_is_deleted"
SOURCE_TS = "_source_ts"
KAFKA_PARTITION = "_kafka_partition"
KAFKA_OFFSET = "_kafka_offset"
FINGERPRINT = "_fingerprint"
ERROR = "_error"

# Separators of the fingerprint's canonical text: unit separator between
# values, and a marker no text column produces for NULL.
_FIELD_SEPARATOR = "\u001f"
_NULL_MARKER = "\u0000"

ENVELOPE = T.StructType(
    [
        # Row images as text: Spark's JSON reader keeps numbers and booleans
        # as their literal text in a string map, so nothing is rounded before
        # the column's own decoder sees it.
        T.StructField("before", T.MapType(T.StringType(), T.StringType())),
        T.StructField("after", T.MapType(T.StringType(), T.StringType())),
        T.StructField(
            "source",
            T.StructType(
                [
                    T.StructField("lsn", T.LongType()),
                    T.StructField("ts_ms", T.LongType()),
                    T.StructField("schema", T.StringType()),
                    T.StructField("table", T.StringType()),
                ]
            ),
        ),
        T.StructField("op", T.StringType()),
        T.StructField("ts_ms", T.LongType()),
    ]
)


def _quoted(name: str) -> str:
    return "`{}`".format(name.replace("`", "``"))


def decode_value(text_column: str, encoding: str, spark_type: str) -> Column:
    """The typed value of one column from the column holding its text; NULL when unreadable."""
    text = _quoted(text_column)
    if encoding == "epoch-days":
        return F.expr("date_from_unix_date(try_cast({} AS INT))".format(text))
    if encoding == "epoch-micros":
        # Debezium's MicroTimestamp: wall-clock time without a zone. The jobs
        # run with spark.sql.session.timeZone=UTC, so this is exact.
        return F.expr("CAST(timestamp_micros(try_cast({} AS BIGINT)) AS {})".format(text, spark_type))
    if encoding == "iso-instant":
        return F.expr("CAST(try_cast({} AS TIMESTAMP) AS {})".format(text, spark_type))
    if encoding == "string":
        return F.col(text_column)
    # number, boolean, decimal-string: Spark's own exact casts.
    return F.expr("try_cast({} AS {})".format(text, spark_type))


def canonical_text(column: str, spark_type: str) -> Column:
    """Text of a typed value for the fingerprint; identical in both layers."""
    value = F.col(column)
    upper = spark_type.upper()
    if upper.startswith("TIMESTAMP"):
        # Microseconds since the epoch: independent of display formats.
        text = F.unix_micros(value.cast("TIMESTAMP")).cast("STRING")
    else:
        text = value.cast("STRING")
    return F.coalesce(text, F.lit(_NULL_MARKER))


def fingerprint(table: Table) -> Column:
    """64-bit hash of every source column in declared order (signed, as Spark's xxhash64)."""
    parts = [canonical_text(c.name, c.spark) for c in table.columns]
    return F.xxhash64(F.concat_ws(_FIELD_SEPARATOR, *parts))


def _image_errors(table: Table, image: str) -> list[Column]:
    errors = []
    for c in table.columns:
        raw = F.col("_text_{}".format(c.name))
        typed = F.col(c.name)
        errors.append(
            F.when(
                raw.isNotNull() & typed.isNull(),
                F.concat(
                    F.lit("column {}: cannot read ".format(c.name)),
                    F.substring(raw, 1, 80),
                    F.lit(" as {} ({})".format(c.spark, c.debezium)),
                ),
            )
        )
        if not c.nullable:
            errors.append(
                F.when(
                    F.col(image).isNotNull() & raw.isNull(),
                    F.lit("column {} is missing or null but NOT NULL in the source".format(c.name)),
                )
            )
    return errors


def decode_envelopes(kafka_rows: DataFrame, table: Table) -> DataFrame:
    """Kafka records of one CDC topic -> typed rows with metadata and ``_error``.

    Rows whose ``_error`` is not NULL could not be read and belong in the
    dead-letter topic; every other row is complete. Tombstones (NULL values)
    are dropped: deletes arrive as ``op = 'd'`` events.
    """
    parsed = kafka_rows.where(F.col("value").isNotNull()).withColumn(
        "_envelope", F.from_json(F.col("value").cast("STRING"), ENVELOPE)
    )
    op = F.col("_envelope.op")
    # Deletes carry the row in `before` (REPLICA IDENTITY FULL in the source).
    image = F.when(op == "d", F.col("_envelope.before")).otherwise(F.col("_envelope.after"))
    with_image = parsed.withColumn("_image", image)
    texts = [F.col("_image").getItem(c.name).alias("_text_{}".format(c.name)) for c in table.columns]
    with_text = with_image.select("*", *texts)
    typed = with_text.select(
        "*",
        *[
            decode_value("_text_{}".format(c.name), c.debezium, c.spark).alias(c.name)
            for c in table.columns
        ],
    )
    envelope = F.col("_envelope")
    # Spark's JSON reader yields a row of NULLs (not NULL) for text that is not JSON.
    not_json = envelope.isNull() | (
        op.isNull() & F.col("_envelope.source").isNull() & F.col("_envelope.before").isNull() & F.col("_envelope.after").isNull()
    )
    row_errors = [
        F.when(not_json, F.lit("value is not a JSON change event")),
        F.when(
            ~not_json & ~F.coalesce(op.isin("c", "u", "d", "r"), F.lit(False)),
            F.concat(F.lit("unknown operation '"), F.coalesce(op, F.lit("null")), F.lit("'")),
        ),
        F.when(
            ~not_json & F.col("_image").isNull() & op.isin("c", "u", "d", "r"),
            F.lit("the event has no row image"),
        ),
        F.when(
            ~not_json & F.col("_envelope.source.lsn").isNull(),
            F.lit("the event has no source position (source.lsn)"),
        ),
    ]
    errors = row_errors + _image_errors(table, "_image")
    error = F.concat_ws("; ", *errors)
    decoded = typed.select(
        *[F.col(c.name) for c in table.columns],
        F.col("_envelope.source.lsn").alias(LSN),
        op.alias(OP),
        F.when(op == "d", F.lit(1)).otherwise(F.lit(0)).cast("TINYINT").alias(IS_DELETED),
        F.timestamp_millis(F.col("_envelope.source.ts_ms")).alias(SOURCE_TS),
        F.col("partition").alias(KAFKA_PARTITION),
        F.col("offset").alias(KAFKA_OFFSET),
        F.when(error == "", F.lit(None).cast("STRING")).otherwise(error).alias(ERROR),
        F.col("topic"),
        F.col("key"),
        F.col("value"),
    )
    return decoded.withColumn(FINGERPRINT, fingerprint(table))


def lake_rows_as_kafka_records(lake_rows: DataFrame) -> DataFrame:
    """Rows of a pipeline's Iceberg table -> the shape of Kafka records (topic, partition, offset, key, value).

    Two writers fill these tables:

    * the Apache Iceberg sink stores each Debezium event whole (``before``,
      ``after``, ``source``, ``op``, ``ts_ms``) with the Kafka coordinates its
      KafkaMetadataTransform adds; re-serialising the event gives
      ``decode_envelopes`` the text the speed job reads from Kafka (the sink's
      inferred types, long, double and string, print back as the same
      literals);
    * the raw-landing merge job stores the event's JSON text verbatim in
      ``value`` (no Kafka partition or offset: those stay NULL).
    """
    present = set(lake_rows.columns)
    if "value" in present:
        value = F.col("value").cast("BINARY")
    else:
        fields = [F.col(name) for name in ("before", "after", "source", "op", "ts_ms") if name in present]
        value = F.to_json(F.struct(*fields)).cast("BINARY")
    return lake_rows.select(
        F.col("_kafka_metadata_topic").alias("topic"),
        F.col("_kafka_metadata_partition").alias("partition"),
        F.col("_kafka_metadata_offset").alias("offset"),
        F.lit(None).cast("BINARY").alias("key"),
        value.alias("value"),
    )
