"""Loading the batch layer's rows into Snowflake with the official Spark connector.

One transaction per table and run: the connector writes the rows into the
staging table through a temporary internal stage and ``COPY INTO``, with
``truncate_table=on`` and ``usestagingtable=off`` so it opens a transaction,
TRUNCATEs the staging table (keeping it and its grants: ``Overwrite`` alone
drops and recreates the table, snowflakedb/spark-snowflake#75), COPYs, runs
the ``postactions`` (our MERGE into the table) and commits. A failure
anywhere rolls all of it back, so a re-run starts from the same state.

The watermark and the other small statements go through the connector's
``Utils.runQuery`` (a session of its own per statement, autocommitted).

Credentials come from the environment only: ``SNOWFLAKE_PRIVATE_KEY`` (PEM,
key-pair auth of the service user) with ``SNOWFLAKE_PRIVATE_KEY_PASSPHRASE``,
or ``SNOWFLAKE_PASSWORD`` where key-pair auth is not available (the local
emulator).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.parse
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from . import cdc
from .config import Config, Table

SOURCE = "net.snowflake.spark.snowflake"

# Snowflake columns the batch layer writes after the source columns.
META_COLUMNS = [
    (cdc.LSN, "_LSN"),
    (cdc.OP, "_OP"),
    (cdc.IS_DELETED, "_IS_DELETED"),
    (cdc.SOURCE_TS, "_SOURCE_TS"),
    (cdc.KAFKA_PARTITION, "_KAFKA_PARTITION"),
    (cdc.KAFKA_OFFSET, "_KAFKA_OFFSET"),
    (cdc.FINGERPRINT, "_FINGERPRINT"),
]
# Set by Snowflake (its DEFAULT) or the MERGE; last in the table, as the layer's column list has it.
LOADED_AT = "_LOADED_AT"


def target_columns(table: Table) -> list[str]:
    return [c.name.upper() for c in table.columns] + [sf for _, sf in META_COLUMNS]


def merge_sql(table: Table) -> str:
    """MERGE the staging table into the table; a row only replaces an older version.

    It runs as the load's ``postactions``, which the connector splits on ';'
    and formats with '%s': the statement has neither.
    """
    columns = target_columns(table)
    on = " AND ".join("t.{0} = s.{0}".format(k.upper()) for k in table.primary_key)
    updates = ", ".join("{0} = s.{0}".format(c) for c in columns)
    return (
        "MERGE INTO {target} t USING {staging} s ON {on} "
        "WHEN MATCHED AND s._LSN > t._LSN THEN UPDATE SET {updates}, {loaded_at} = CURRENT_TIMESTAMP() "
        "WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({values})"
    ).format(
        target=table.snowflake_table,
        staging=table.snowflake_staging_table,
        on=on,
        updates=updates,
        loaded_at=LOADED_AT,
        cols=", ".join(columns),
        values=", ".join("s.{}".format(c) for c in columns),
    )


def staging_frame(rows: DataFrame, table: Table) -> DataFrame:
    """Typed rows -> the staging table's columns, in its order (the connector maps by position).

    Spark's TIMESTAMP_NTZ is read as a UTC timestamp: connector 3.0.0 writes
    only TIMESTAMP, as the wall clock of the executor's zone (UTC in every
    JVM of the job), which is what lands in a TIMESTAMP_NTZ column.
    """
    selected = []
    for c in table.columns:
        column = F.col(c.name)
        if isinstance(rows.schema[c.name].dataType, T.TimestampNTZType):
            column = column.cast(T.TimestampType())
        selected.append(column.alias(c.name.upper()))
    for name, sf_name in META_COLUMNS:
        column = F.col(name)
        if name == cdc.IS_DELETED:
            column = column == 1
        selected.append(column.alias(sf_name))
    selected.append(F.current_timestamp().alias(LOADED_AT))
    return rows.select(*selected)


class Snowflake:
    """The batch job's Snowflake: staged loads and statements through the Spark connector."""

    def __init__(self, cfg: Config, spark):
        sf = cfg.get("batch.snowflake")
        url = urllib.parse.urlparse(sf["url"])
        if url.scheme not in ("https", "http") or not url.hostname:
            raise SystemExit("batch.snowflake.url must be https://<account>.snowflakecomputing.com, got {!r}".format(sf["url"]))
        secure = url.scheme == "https"
        self.spark = spark
        self.options: dict[str, str] = {
            # The driver defaults to port 443 whatever the scheme, so the port is always spelled out.
            "sfURL": "{}:{}".format(url.hostname, url.port or (443 if secure else 80)),
            "sfSSL": "on" if secure else "off",
            "sfAccount": sf["account"],
            "sfUser": sf["user"],
            "sfRole": sf["role"],
            "sfWarehouse": sf["warehouse"],
            "sfDatabase": sf["database"],
            "sfSchema": sf["schema"],
            # Every session in UTC, like the Spark session and the JVMs: timestamps keep their instant.
            "sfTimezone": "UTC",
            # The driver otherwise probes cloud metadata endpoints at every login to report its platform.
            "disablePlatformDetection": "true",
        }
        self.options.update(_credentials())

    def _query(self, sql: str):
        utils = self.spark._jvm.net.snowflake.spark.snowflake.Utils
        return utils.runQuery(self.spark._jvm.PythonUtils.toScalaMap(self.options), sql)

    def execute(self, sql: str, params: tuple | None = None) -> list[tuple]:
        """Runs one statement in a session of its own; rows as text (an empty list without a result)."""
        if params:
            sql = sql % tuple(_sql_literal(p) for p in params)
        result = self._query(sql)
        width = result.getMetaData().getColumnCount()
        out = []
        while result.next():
            out.append(tuple(result.getString(i + 1) for i in range(width)))
        return out

    def load_and_merge(self, rows: DataFrame, table: Table) -> int:
        """Staging table <- rows, then MERGE into the table, in one transaction; returns the rows loaded."""
        frame = staging_frame(rows, table).persist()
        try:
            count = frame.count()
            (
                frame.write.format(SOURCE)
                .options(**self.options)
                .option("dbtable", table.snowflake_staging_table)
                .option("truncate_table", "on")
                .option("usestagingtable", "off")
                .option("postactions", merge_sql(table))
                .mode("overwrite")
                .save()
            )
            return count
        finally:
            frame.unpersist()

    def close(self) -> None:
        """Ends the connector's cached Snowflake sessions (the loads'), and with them their temporary stages.

        Connector 3.0.0 ends them itself only when the application ends after
        an asynchronous query; a session left open lingers until Snowflake
        expires it, with the staged files of its temporary stages.
        """
        self.spark._jvm.net.snowflake.spark.snowflake.ServerConnection.closeAllCachedConnections()

    def last_state(self, watermark_table: str, table: Table) -> tuple[int | None, dict, int | None]:
        """The last load's snapshot id, Kafka offsets and event-time watermark (epoch ms)."""
        rows = self.execute(
            "SELECT ICEBERG_SNAPSHOT_ID, TO_VARCHAR(KAFKA_OFFSETS), DATE_PART(EPOCH_MILLISECOND, EVENT_TIME_COMPLETE_UP_TO) "
            "FROM {} WHERE TABLE_NAME = %s ORDER BY LOADED_AT DESC, ICEBERG_SNAPSHOT_ID DESC LIMIT 1".format(watermark_table),
            (table.source,),
        )
        if not rows:
            return None, {}, None
        snapshot, offsets, complete_up_to = rows[0]
        return int(snapshot), json.loads(offsets) if offsets else {}, int(complete_up_to) if complete_up_to is not None else None

    def record_watermark(self, watermark_table: str, table: Table, snapshot_id: int, offsets: Any, complete_up_to_ms: int | None) -> None:
        self.execute(
            "INSERT INTO {} (TABLE_NAME, ICEBERG_SNAPSHOT_ID, KAFKA_OFFSETS, EVENT_TIME_COMPLETE_UP_TO) "
            "SELECT %s, %s, PARSE_JSON(%s), {}".format(
                watermark_table, "TO_TIMESTAMP_TZ(%s, 3)" if complete_up_to_ms is not None else "NULL"
            ),
            (table.source, snapshot_id, json.dumps(offsets), *([complete_up_to_ms] if complete_up_to_ms is not None else [])),
        )


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return str(value)
    return "'{}'".format(str(value).replace("\\", "\\\\").replace("'", "''"))


def _pkcs8_base64(pem: str, passphrase: str | None) -> str:
    """The key as the connector's pem_private_key takes it: unencrypted PKCS#8, base64 without the PEM lines."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pem.encode(), password=passphrase.encode() if passphrase else None)
    der = key.private_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return base64.b64encode(der).decode()


def _credentials() -> dict[str, str]:
    key = os.environ.get("SNOWFLAKE_PRIVATE_KEY")
    if key:
        return {"pem_private_key": _pkcs8_base64(key, os.environ.get("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"))}
    password = os.environ.get("SNOWFLAKE_PASSWORD")
    if password:
        return {"sfPassword": password}
    raise SystemExit(
        "Snowflake credentials missing: set SNOWFLAKE_PRIVATE_KEY (key-pair auth of the service user) "
        "or SNOWFLAKE_PASSWORD in the job's environment (from the Kubernetes Secret)"
    )
