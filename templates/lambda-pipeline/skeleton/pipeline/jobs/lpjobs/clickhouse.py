"""Idempotent inserts into ClickHouse over its HTTP interface.

Each Spark partition of a micro-batch holds one Kafka partition's offset
range, and becomes one INSERT whose ``insert_deduplication_token`` is that
range. A replayed micro-batch (after a crash between the insert and the
checkpoint commit) sends the same ranges with the same tokens, and ClickHouse
drops the repeats (the tables set ``non_replicated_deduplication_window``).
The token does not depend on Spark's batch id, so it stays right even if the
checkpoint is lost. ReplacingMergeTree versioned by the source LSN is the
second line of defence: reads with FINAL see one row per key.

Spark's JDBC writer cannot do this: it sets ClickHouse settings per
connection URL, the same for every partition, and one token shared by
several inserts would make ClickHouse drop all but the first.
"""

from __future__ import annotations

import base64
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Iterable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .cdc import KAFKA_OFFSET, KAFKA_PARTITION

JSON_OPTIONS = {
    # ClickHouse reads these with date_time_input_format=best_effort; the
    # session time zone is UTC, so instants and wall-clock times are exact.
    "timestampFormat": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "timestampNTZFormat": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "dateFormat": "yyyy-MM-dd",
    "ignoreNullFields": "false",
}


class ClickHouseError(RuntimeError):
    pass


def _auth_headers() -> dict[str, str]:
    user = os.environ.get("CLICKHOUSE_USER", "default")
    password = os.environ.get("CLICKHOUSE_PASSWORD", "")
    token = base64.b64encode("{}:{}".format(user, password).encode()).decode()
    return {"Authorization": "Basic " + token}


def execute(url: str, sql: str, body: bytes | None = None, settings: dict[str, str] | None = None, timeout: float = 300) -> str:
    """Runs one statement; raises ClickHouseError with the server's message."""
    params = {"query": sql} if body is not None else {}
    params.update(settings or {})
    request = urllib.request.Request(
        "{}/?{}".format(url.rstrip("/"), urllib.parse.urlencode(params)),
        data=body if body is not None else sql.encode(),
        headers=_auth_headers(),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read().decode()
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")[:2000]
        raise ClickHouseError("ClickHouse answered HTTP {}: {}".format(error.code, detail)) from None


def insert_rows(rows: DataFrame, table: str, columns: list[str], url: str, token_prefix: str) -> None:
    """Inserts ``rows`` (typed, with Kafka partition/offset) partition by partition."""
    payload = rows.select(
        F.col(KAFKA_PARTITION),
        F.col(KAFKA_OFFSET),
        F.to_json(F.struct(*[F.col(c) for c in columns]), JSON_OPTIONS).alias("json"),
    )
    sql = "INSERT INTO {} ({}) FORMAT JSONEachRow".format(table, ", ".join("`{}`".format(c) for c in columns))

    def insert_partition(partition_rows: Iterable) -> None:
        lines = []
        first = last = None
        kafka_partitions = set()
        for row in partition_rows:
            lines.append(row.json)
            kafka_partitions.add(row[KAFKA_PARTITION])
            offset = row[KAFKA_OFFSET]
            first = offset if first is None else min(first, offset)
            last = offset if last is None else max(last, offset)
        if not lines:
            return
        # The Kafka offsets this insert covers identify it across replays.
        range_id = "{}:{}:{}-{}:{}".format(
            token_prefix, ",".join(str(p) for p in sorted(kafka_partitions)), first, last, len(lines)
        )
        execute(
            url,
            sql,
            body="\n".join(lines).encode(),
            settings={
                "insert_deduplication_token": range_id,
                "date_time_input_format": "best_effort",
                "input_format_null_as_default": "1",
            },
        )

    payload.foreachPartition(insert_partition)
