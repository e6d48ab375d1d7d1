"""Loading the batch layer's rows into Snowflake: staging table, then MERGE.

Two loaders with one interface:

* ``SparkConnectorLoader`` (cloud): the official Snowflake Spark connector
  writes the staging table (``truncate_table=on``: never ``Overwrite`` alone,
  which drops the table and its grants, snowflakedb/spark-snowflake#75) and
  runs the MERGE through the connector's ``Utils.runQuery``.
* ``PythonConnectorLoader`` (local profile): snowflake-connector-python
  INSERTs the staging rows in chunks. The local Snowflake emulator has no
  stages or COPY INTO, which the Spark connector loads through.

Credentials come from the environment only: ``SNOWFLAKE_PRIVATE_KEY`` (PEM,
key-pair auth of the service user) with ``SNOWFLAKE_PRIVATE_KEY_PASSPHRASE``,
or ``SNOWFLAKE_PASSWORD`` where key-pair auth is not available (the emulator).
"""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Any, Iterator

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from . import cdc
from .config import Config, Table

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


def target_columns(table: Table) -> list[str]:
    return [c.name.upper() for c in table.columns] + [sf for _, sf in META_COLUMNS]


def merge_sql(table: Table) -> str:
    """MERGE the staging table into the table; a row only replaces an older version."""
    columns = target_columns(table)
    on = " AND ".join("t.{0} = s.{0}".format(k.upper()) for k in table.primary_key)
    updates = ", ".join("{0} = s.{0}".format(c) for c in columns)
    return (
        "MERGE INTO {target} t USING {staging} s ON {on} "
        "WHEN MATCHED AND s._LSN > t._LSN THEN UPDATE SET {updates}, _LOADED_AT = CURRENT_TIMESTAMP() "
        "WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({values})"
    ).format(
        target=table.snowflake_table,
        staging=table.snowflake_staging_table,
        on=on,
        updates=updates,
        cols=", ".join(columns),
        values=", ".join("s.{}".format(c) for c in columns),
    )


def staging_frame(rows: DataFrame, table: Table) -> DataFrame:
    """Typed rows -> the staging table's columns (Snowflake names, booleans for flags)."""
    selected = [F.col(c.name).alias(c.name.upper()) for c in table.columns]
    for name, sf_name in META_COLUMNS:
        column = F.col(name)
        if name == cdc.IS_DELETED:
            column = column == 1
        selected.append(column.alias(sf_name))
    return rows.select(*selected)


class Loader:
    def load_staging(self, rows: DataFrame, table: Table) -> int:
        raise NotImplementedError

    def execute(self, sql: str, params: tuple | None = None) -> list[tuple]:
        raise NotImplementedError

    def merge(self, table: Table) -> None:
        self.execute(merge_sql(table))

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

    def close(self) -> None:
        pass


def _text_rows(frame: DataFrame) -> Iterator[tuple]:
    """Rows as text in Snowflake's input formats (exact decimals, microsecond times)."""
    texts = []
    for field in frame.schema.fields:
        column = F.col("`{}`".format(field.name))
        type_name = field.dataType.simpleString()
        if type_name == "timestamp":
            column = F.date_format(column, "yyyy-MM-dd HH:mm:ss.SSSSSS+00:00")
        elif type_name == "timestamp_ntz":
            column = F.date_format(column, "yyyy-MM-dd HH:mm:ss.SSSSSS")
        texts.append(column.cast("STRING").alias(field.name))
    for row in frame.select(*texts).toLocalIterator():
        yield tuple(row)


class PythonConnectorLoader(Loader):
    CHUNK = 5000

    def __init__(self, cfg: Config):
        import snowflake.connector  # only this loader needs the Python connector

        sf = cfg.get("batch.snowflake")
        url = urllib.parse.urlparse(sf["url"])
        options: dict[str, Any] = {
            "account": sf["account"],
            "user": sf["user"],
            "role": sf["role"],
            "warehouse": sf["warehouse"],
            "database": sf["database"],
            "schema": sf["schema"],
            "host": url.hostname,
            "port": url.port or (443 if url.scheme == "https" else 80),
            "protocol": url.scheme,
            "login_timeout": 60,
        }
        credentials = _credentials()
        if "private_key_pem" in credentials:
            options["private_key"] = _der_private_key(credentials)
        else:
            options["password"] = credentials["password"]
        self.connection = snowflake.connector.connect(**options)

    def execute(self, sql: str, params: tuple | None = None) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            try:
                return list(cursor.fetchall())
            except Exception:  # statements without a result set
                return []

    def load_staging(self, rows: DataFrame, table: Table) -> int:
        frame = staging_frame(rows, table)
        columns = list(frame.columns)
        insert = "INSERT INTO {} ({}) VALUES ({})".format(
            table.snowflake_staging_table, ", ".join(columns), ", ".join(["%s"] * len(columns))
        )
        self.execute("TRUNCATE TABLE {}".format(table.snowflake_staging_table))
        total = 0
        chunk: list[tuple] = []
        with self.connection.cursor() as cursor:
            for row in _text_rows(frame):
                chunk.append(row)
                if len(chunk) >= self.CHUNK:
                    cursor.executemany(insert, chunk)
                    total += len(chunk)
                    chunk = []
            if chunk:
                cursor.executemany(insert, chunk)
                total += len(chunk)
        return total

    def close(self) -> None:
        self.connection.close()


class SparkConnectorLoader(Loader):
    def __init__(self, cfg: Config, spark):
        sf = cfg.get("batch.snowflake")
        url = urllib.parse.urlparse(sf["url"])
        self.spark = spark
        self.options = {
            "sfURL": url.netloc,
            "sfUser": sf["user"],
            "sfRole": sf["role"],
            "sfWarehouse": sf["warehouse"],
            "sfDatabase": sf["database"],
            "sfSchema": sf["schema"],
        }
        credentials = _credentials()
        if "private_key_pem" in credentials:
            self.options["pem_private_key"] = credentials["private_key_pem"]
        else:
            self.options["sfPassword"] = credentials["password"]

    def execute(self, sql: str, params: tuple | None = None) -> list[tuple]:
        if params:
            sql = sql % tuple(_sql_literal(p) for p in params)
        utils = self.spark._jvm.net.snowflake.spark.snowflake.Utils
        result = utils.runQuery(self.spark._jvm.PythonUtils.toScalaMap(self.options), sql)
        out = []
        while result.next():
            out.append(tuple(result.getString(i + 1) for i in range(result.getMetaData().getColumnCount())))
        return out

    def load_staging(self, rows: DataFrame, table: Table) -> int:
        frame = staging_frame(rows, table).persist()
        try:
            (
                frame.write.format("net.snowflake.spark.snowflake")
                .options(**self.options)
                .option("dbtable", table.snowflake_staging_table)
                # Truncate and keep the table (and its grants) instead of dropping it.
                .option("truncate_table", "on")
                .option("usestagingtable", "off")
                .mode("overwrite")
                .save()
            )
            return frame.count()
        finally:
            frame.unpersist()


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return str(value)
    return "'{}'".format(str(value).replace("\\", "\\\\").replace("'", "''"))


def _der_private_key(credentials: dict[str, str]) -> bytes:
    """The PEM key (optionally encrypted) as unencrypted PKCS#8 DER, as the Python connector takes it."""
    from cryptography.hazmat.primitives import serialization

    passphrase = credentials.get("private_key_passphrase")
    key = serialization.load_pem_private_key(
        credentials["private_key_pem"].encode(), password=passphrase.encode() if passphrase else None
    )
    return key.private_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def _credentials() -> dict[str, str]:
    key = os.environ.get("SNOWFLAKE_PRIVATE_KEY")
    if key:
        credentials = {"private_key_pem": key}
        passphrase = os.environ.get("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE")
        if passphrase:
            credentials["private_key_passphrase"] = passphrase
        return credentials
    password = os.environ.get("SNOWFLAKE_PASSWORD")
    if password:
        return {"password": password}
    raise SystemExit(
        "Snowflake credentials missing: set SNOWFLAKE_PRIVATE_KEY (key-pair auth of the service user) "
        "or SNOWFLAKE_PASSWORD in the job's environment (from the Kubernetes Secret)"
    )


def loader_for(cfg: Config, spark) -> Loader:
    kind = cfg.get("batch.snowflake.loader")
    if kind == "spark-connector":
        return SparkConnectorLoader(cfg, spark)
    if kind == "python-connector":
        return PythonConnectorLoader(cfg)
    raise SystemExit("batch.snowflake.loader must be 'spark-connector' or 'python-connector', got {!r}".format(kind))
