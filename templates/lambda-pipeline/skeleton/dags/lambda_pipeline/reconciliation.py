"""Do the speed layer (ClickHouse) and the batch layer (Snowflake) agree?

Per source table and per event-time window of ``reconciliation.windowMinutes``,
both layers are reduced to the same figures over the latest version of every
key:

* ``rows``: live rows (tombstones excluded), ``distinct_keys``: live keys,
* ``sum_<measure>``: exact sums of every measure (decimals compared exactly),
* ``deleted``: tombstones (deletes are kept in both layers),
* ``fingerprint_xor``: XOR of the row fingerprints both Spark jobs compute the
  same way (ClickHouse ``groupBitXor``, Snowflake ``BITXOR_AGG``).

A window is *closed* once its end plus ``allowedLatenessMinutes`` is before
the batch watermark (the event time the lake was complete up to when the last
batch load ran). Closed windows must match exactly, or they are **diverged**;
open windows are **converging** while the batch layer catches up (within
``openWindowTolerance`` of the speed layer's row count, or beyond it, which
is reported). Results go to ``reconciliation.resultsTable`` in Snowflake,
where the Backstage plugin reads them.

Connections: ClickHouse over HTTP (``speed.clickhouseUrl``, credentials in
``CLICKHOUSE_USER``/``CLICKHOUSE_PASSWORD``); Snowflake with
snowflake-connector-python (``SNOWFLAKE_PRIVATE_KEY`` or ``SNOWFLAKE_PASSWORD``).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Iterable

CONSISTENT = "consistent"
CONVERGING = "converging"
DIVERGED = "diverged"


class DivergedWindows(RuntimeError):
    """Raised after the results are saved when a closed window does not match."""

    def __init__(self, diverged: list[dict]):
        self.diverged = diverged
        names = ", ".join("{} {}".format(d["table"], d["windowStart"]) for d in diverged[:20])
        super().__init__(
            "{} closed window(s) differ between ClickHouse and Snowflake: {}. "
            "Repair: replay the window's Kafka offsets into the speed layer, or re-run the batch load "
            "from the window's Iceberg snapshot; an incremental snapshot through the Debezium signal "
            "table re-reads the source rows.".format(len(diverged), names)
        )


@dataclass
class WindowFigures:
    rows: int = 0
    distinct_keys: int = 0
    deleted: int = 0
    fingerprint_xor: int = 0
    sums: dict[str, Decimal] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "distinctKeys": self.distinct_keys,
            "deleted": self.deleted,
            "fingerprintXor": str(self.fingerprint_xor),
            "sums": {k: str(v) for k, v in sorted(self.sums.items())},
        }


def _scale(spark_type: str) -> int:
    if spark_type.upper().startswith("DECIMAL(") and "," in spark_type:
        return int(spark_type.rstrip(")").split(",")[1])
    return 0


def _measures(table: dict) -> list[tuple[str, int]]:
    types = {c["name"]: c["spark"] for c in table["columns"]}
    return [(m, _scale(types[m])) for m in table["measures"]]


def _signed64(value: int) -> int:
    """ClickHouse returns the XOR of Int64 as Int64 already; Snowflake may not: fold into signed 64-bit."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= (1 << 63) else value


# --- ClickHouse (speed layer) -------------------------------------------------


def clickhouse_query(url: str) -> Callable[[str], list[dict]]:
    user = os.environ.get("CLICKHOUSE_USER", "default")
    password = os.environ.get("CLICKHOUSE_PASSWORD", "")
    auth = base64.b64encode("{}:{}".format(user, password).encode()).decode()

    def query(sql: str) -> list[dict]:
        request = urllib.request.Request(
            "{}/?{}".format(url.rstrip("/"), urllib.parse.urlencode({"default_format": "JSONEachRow"})),
            data=sql.encode(),
            headers={"Authorization": "Basic " + auth},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                body = response.read().decode()
        except urllib.error.HTTPError as error:
            raise RuntimeError("ClickHouse: {}".format(error.read().decode(errors="replace")[:1000])) from None
        return [json.loads(line) for line in body.splitlines() if line.strip()]

    return query


def clickhouse_windows(query: Callable[[str], list[dict]], table: dict, window_seconds: int, since: int) -> dict[int, WindowFigures]:
    keys = ", ".join("`{}`".format(k) for k in table["primaryKey"])
    event_time = "`{}`".format(table["eventTimeColumn"])
    measures = _measures(table)
    latest = ", ".join(
        ["argMax({0}, _lsn) AS et".format(event_time), "argMax(_is_deleted, _lsn) AS deleted", "argMax(_fingerprint, _lsn) AS fp"]
        + ["argMax(`{0}`, _lsn) AS m_{0}".format(m) for m, _ in measures]
    )
    sums = "".join(", toString(sumIf(m_{0}, deleted = 0)) AS sum_{0}".format(m) for m, _ in measures)
    sql = (
        "SELECT intDiv(toUnixTimestamp(toDateTime(et, 'UTC')), {w}) * {w} AS window_start, "
        "countIf(deleted = 0) AS rows, uniqExactIf(key, deleted = 0) AS distinct_keys, "
        "countIf(deleted = 1) AS deleted_rows, toString(groupBitXorIf(fp, deleted = 0)) AS fingerprint_xor{sums} "
        "FROM (SELECT tuple({keys}) AS key, {latest} FROM {table} GROUP BY {keys}) "
        "WHERE toUnixTimestamp(toDateTime(et, 'UTC')) >= {since} "
        "GROUP BY window_start ORDER BY window_start"
    ).format(w=window_seconds, sums=sums, keys=keys, latest=latest, table=table["clickhouseTable"], since=since)
    out = {}
    for row in query(sql):
        out[int(row["window_start"])] = WindowFigures(
            rows=int(row["rows"]),
            distinct_keys=int(row["distinct_keys"]),
            deleted=int(row["deleted_rows"]),
            fingerprint_xor=_signed64(int(row["fingerprint_xor"])),
            sums={m: Decimal(row["sum_{}".format(m)]) for m, _ in measures},
        )
    return out


# --- Snowflake (batch layer) --------------------------------------------------


def snowflake_connection(config: dict):
    import snowflake.connector

    sf = config["batch"]["snowflake"]
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
    key = os.environ.get("SNOWFLAKE_PRIVATE_KEY")
    if key:
        from cryptography.hazmat.primitives import serialization

        passphrase = os.environ.get("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE")
        private_key = serialization.load_pem_private_key(key.encode(), password=passphrase.encode() if passphrase else None)
        options["private_key"] = private_key.private_bytes(
            encoding=serialization.Encoding.DER,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )
    elif os.environ.get("SNOWFLAKE_PASSWORD"):
        options["password"] = os.environ["SNOWFLAKE_PASSWORD"]
    else:
        raise RuntimeError("Snowflake credentials missing: set SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PASSWORD (from the Kubernetes Secret)")
    return snowflake.connector.connect(**options)


def snowflake_windows(cursor, table: dict, window_seconds: int, since: int) -> dict[int, WindowFigures]:
    event_time = table["eventTimeColumn"].upper()
    first_key = table["primaryKey"][0].upper()
    other_keys = "".join(", {}".format(k.upper()) for k in table["primaryKey"][1:])
    measures = _measures(table)
    # Sums are widened to NUMBER(38, s) first: exact in Snowflake, and the
    # local emulator would otherwise sum decimals as doubles.
    sums = "".join(
        ", TO_VARCHAR(SUM(IFF(NOT _IS_DELETED, {0}, NULL)::NUMBER(38, {1}))) AS SUM_{0}".format(m.upper(), s) for m, s in measures
    )
    sql = (
        "SELECT FLOOR(DATE_PART(EPOCH_SECOND, {et}) / {w}) * {w} AS WINDOW_START, "
        "COUNT_IF(NOT _IS_DELETED) AS ROWS_, "
        "COUNT(DISTINCT IFF(NOT _IS_DELETED, {k1}, NULL){ko}) AS DISTINCT_KEYS, "
        "COUNT_IF(_IS_DELETED) AS DELETED_ROWS, "
        "TO_VARCHAR(BITXOR_AGG(IFF(NOT _IS_DELETED, _FINGERPRINT, NULL))) AS FINGERPRINT_XOR{sums} "
        "FROM {table} WHERE DATE_PART(EPOCH_SECOND, {et}) >= %s GROUP BY 1 ORDER BY 1"
    ).format(et=event_time, w=window_seconds, k1=first_key, ko=other_keys, sums=sums, table=table["snowflakeTable"])
    cursor.execute(sql, (since,))
    names = [d[0].upper() for d in cursor.description]
    out = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values))
        out[int(row["WINDOW_START"])] = WindowFigures(
            rows=int(row["ROWS_"]),
            distinct_keys=int(row["DISTINCT_KEYS"]),
            deleted=int(row["DELETED_ROWS"]),
            fingerprint_xor=_signed64(int(row["FINGERPRINT_XOR"] or 0)),
            sums={m: Decimal(row["SUM_{}".format(m.upper())] or 0) for m, _ in measures},
        )
    return out


def batch_watermark(cursor, config: dict, table: dict) -> datetime | None:
    """Event time the lake was complete up to at the last batch load (None before the first)."""
    cursor.execute(
        "SELECT MAX(EVENT_TIME_COMPLETE_UP_TO) FROM {} WHERE TABLE_NAME = %s".format(config["batch"]["snowflake"]["watermarkTable"]),
        (table["source"],),
    )
    row = cursor.fetchone()
    value = row[0] if row else None
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


# --- Comparison -----------------------------------------------------------------


def compare(speed: WindowFigures | None, batch: WindowFigures | None, closed: bool, tolerance: float) -> tuple[str, list[str]]:
    speed = speed or WindowFigures()
    batch = batch or WindowFigures()
    differences = []
    for name in ("rows", "distinct_keys", "deleted", "fingerprint_xor"):
        if getattr(speed, name) != getattr(batch, name):
            differences.append(name)
    for measure in sorted(set(speed.sums) | set(batch.sums)):
        if speed.sums.get(measure, Decimal(0)) != batch.sums.get(measure, Decimal(0)):
            differences.append("sum_" + measure)
    if not differences:
        return CONSISTENT, []
    if closed:
        return DIVERGED, differences
    gap = abs(speed.rows - batch.rows) / max(speed.rows, 1)
    return CONVERGING, differences + ([] if gap <= tolerance else ["outside_tolerance"])


def reconcile_table(
    table: dict,
    speed: dict[int, WindowFigures],
    batch: dict[int, WindowFigures],
    window_seconds: int,
    watermark: datetime | None,
    lateness: timedelta,
    tolerance: float,
) -> list[dict]:
    results = []
    for start in sorted(set(speed) | set(batch)):
        window_start = datetime.fromtimestamp(start, timezone.utc)
        window_end = window_start + timedelta(seconds=window_seconds)
        closed = watermark is not None and window_end + lateness <= watermark
        status, differences = compare(speed.get(start), batch.get(start), closed, tolerance)
        results.append(
            {
                "table": table["source"],
                "windowStart": window_start.isoformat(),
                "windowEnd": window_end.isoformat(),
                "closed": closed,
                "status": status,
                "differences": differences,
                "speed": (speed.get(start) or WindowFigures()).as_json(),
                "batch": (batch.get(start) or WindowFigures()).as_json(),
            }
        )
    return results


RESULTS_COLUMNS = "CHECKED_AT, TABLE_NAME, WINDOW_START, WINDOW_END, CLOSED, STATUS, DIFFERENCES, SPEED, BATCH"


def save_results(cursor, config: dict, results: Iterable[dict], checked_at: datetime) -> None:
    table = config["reconciliation"]["resultsTable"]
    cursor.execute(
        "CREATE TABLE IF NOT EXISTS {} (CHECKED_AT TIMESTAMP_TZ(3) NOT NULL, TABLE_NAME VARCHAR NOT NULL, "
        "WINDOW_START TIMESTAMP_TZ(3) NOT NULL, WINDOW_END TIMESTAMP_TZ(3) NOT NULL, CLOSED BOOLEAN NOT NULL, "
        "STATUS VARCHAR NOT NULL, DIFFERENCES VARCHAR, SPEED VARCHAR, BATCH VARCHAR)".format(table)
    )
    rows = [
        (
            checked_at.isoformat(),
            r["table"],
            r["windowStart"],
            r["windowEnd"],
            r["closed"],
            r["status"],
            json.dumps(r["differences"]),
            json.dumps(r["speed"]),
            json.dumps(r["batch"]),
        )
        for r in results
    ]
    if rows:
        cursor.executemany(
            "INSERT INTO {} ({}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)".format(table, RESULTS_COLUMNS),
            rows,
        )


def run(config: dict, now: datetime | None = None) -> list[dict]:
    """Reconciles every table over the look-back period; saves and returns the windows.

    Raises DivergedWindows (after saving) when a closed window differs.
    """
    settings = config["reconciliation"]
    window_seconds = int(settings["windowMinutes"]) * 60
    lateness = timedelta(minutes=int(settings["allowedLatenessMinutes"]))
    now = now or datetime.now(timezone.utc)
    since = int(now.timestamp()) // window_seconds * window_seconds - window_seconds * int(settings["lookbackWindows"])
    speed_query = clickhouse_query(config["speed"]["clickhouseUrl"])
    connection = snowflake_connection(config)
    results: list[dict] = []
    try:
        cursor = connection.cursor()
        for table in config["tables"]:
            results.extend(
                reconcile_table(
                    table,
                    clickhouse_windows(speed_query, table, window_seconds, since),
                    snowflake_windows(cursor, table, window_seconds, since),
                    window_seconds,
                    batch_watermark(cursor, config, table),
                    lateness,
                    float(settings["openWindowTolerance"]),
                )
            )
        save_results(cursor, config, results, now)
    finally:
        connection.close()
    diverged = [r for r in results if r["status"] == DIVERGED]
    if diverged:
        raise DivergedWindows(diverged)
    return results


def apply_overrides(config: dict, assignments: list[str]) -> dict:
    """``--set a.b=value`` on the parsed pipeline.json (numbers stay numbers), e.g. to point at another endpoint."""
    for assignment in assignments:
        path, sep, value = assignment.partition("=")
        parts = path.split(".")
        node = config
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise SystemExit("--set {}: {} is not a section of pipeline.json".format(path, part))
            node = node[part]
        if not sep or parts[-1] not in node:
            raise SystemExit("--set {}: unknown setting (check pipeline.json)".format(path))
        current = node[parts[-1]]
        if isinstance(current, bool):
            node[parts[-1]] = value.lower() in ("1", "true", "yes")
        elif isinstance(current, (int, float)):
            node[parts[-1]] = type(current)(value)
        else:
            node[parts[-1]] = value
    return config


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m lambda_pipeline.reconciliation [--config pipeline.json] [--set a.b=v] [--now ISO]."""
    import argparse
    import sys

    from .config import CONFIG_PATH

    parser = argparse.ArgumentParser(description="Reconcile ClickHouse and Snowflake per window")
    parser.add_argument("--config", default=str(CONFIG_PATH))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    parser.add_argument("--now", help="reconcile as of this instant (ISO 8601, default: now)")
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        config = apply_overrides(json.load(handle), args.overrides)
    now = datetime.fromisoformat(args.now) if args.now else None
    try:
        results = run(config, now)
    except DivergedWindows as error:
        print(json.dumps({"status": DIVERGED, "message": str(error), "windows": error.diverged}))
        return 2
    summary = {s: sum(1 for r in results if r["status"] == s) for s in (CONSISTENT, CONVERGING, DIVERGED)}
    print(json.dumps({"status": "ok", "windows": summary, "results": results}))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
