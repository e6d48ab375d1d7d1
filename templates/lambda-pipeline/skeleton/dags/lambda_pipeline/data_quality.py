"""Data-quality anomaly checks on the batch layer (Snowflake).

Per source table and event-time window (``reconciliation.windowMinutes``) over
the look-back period: the number of rows loaded and the null rate of every
nullable column. The newest complete window is compared with the ones before
it by z-score; ``|z| > Z_LIMIT`` is an anomaly (a sudden drop in volume, a
column that starts arriving empty). Needs at least MIN_HISTORY windows of
history; with less, the check reports "insufficient history" and passes.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timezone

from .reconciliation import snowflake_connection

Z_LIMIT = 3.0
MIN_HISTORY = 6


class DataQualityAnomalies(RuntimeError):
    def __init__(self, anomalies: list[dict]):
        self.anomalies = anomalies
        super().__init__(
            "{} data-quality anomaly(ies): {}".format(
                len(anomalies),
                "; ".join("{} {} {}: z={:.1f}".format(a["table"], a["window"], a["metric"], a["z"]) for a in anomalies[:20]),
            )
        )


def zscore(history: list[float], value: float) -> float | None:
    """How many standard deviations ``value`` is from ``history`` (None without spread)."""
    if len(history) < 2:
        return None
    spread = statistics.pstdev(history)
    mean = statistics.fmean(history)
    if spread == 0:
        return 0.0 if value == mean else float("inf")
    return (value - mean) / spread


def window_metrics(cursor, table: dict, window_seconds: int, since: int, until: int) -> dict[int, dict[str, float]]:
    nullable = [c["name"].upper() for c in table["columns"] if c["nullable"]]
    event_time = table["eventTimeColumn"].upper()
    nulls = "".join(", AVG(IFF({0} IS NULL, 1, 0)) AS NULL_RATE_{0}".format(c) for c in nullable)
    cursor.execute(
        "SELECT FLOOR(DATE_PART(EPOCH_SECOND, {et}) / {w}) * {w} AS WINDOW_START, COUNT(*) AS ROW_COUNT{nulls} "
        "FROM {table} WHERE NOT _IS_DELETED AND DATE_PART(EPOCH_SECOND, {et}) >= %s AND DATE_PART(EPOCH_SECOND, {et}) < %s "
        "GROUP BY 1 ORDER BY 1".format(et=event_time, w=window_seconds, nulls=nulls, table=table["snowflakeTable"]),
        (since, until),
    )
    names = [d[0].upper() for d in cursor.description]
    out = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values))
        out[int(row.pop("WINDOW_START"))] = {k.lower(): float(v or 0) for k, v in row.items()}
    return out


def check_table(metrics: dict[int, dict[str, float]], table: dict) -> list[dict]:
    if len(metrics) < MIN_HISTORY + 1:
        return []
    starts = sorted(metrics)
    latest, history = starts[-1], starts[:-1]
    anomalies = []
    for metric, value in metrics[latest].items():
        z = zscore([metrics[s].get(metric, 0.0) for s in history], value)
        if z is not None and abs(z) > Z_LIMIT:
            anomalies.append(
                {
                    "table": table["source"],
                    "window": datetime.fromtimestamp(latest, timezone.utc).isoformat(),
                    "metric": metric,
                    "value": value,
                    "z": z,
                }
            )
    return anomalies


def run(config: dict, now: datetime | None = None) -> list[dict]:
    """Checks the newest complete window of every table; raises DataQualityAnomalies when one is off."""
    settings = config["reconciliation"]
    window_seconds = int(settings["windowMinutes"]) * 60
    now = now or datetime.now(timezone.utc)
    # The newest complete window ends at the last window boundary before now.
    until = int(now.timestamp()) // window_seconds * window_seconds
    since = until - window_seconds * int(settings["lookbackWindows"])
    connection = snowflake_connection(config)
    anomalies: list[dict] = []
    try:
        cursor = connection.cursor()
        for table in config["tables"]:
            anomalies.extend(check_table(window_metrics(cursor, table, window_seconds, since, until), table))
    finally:
        connection.close()
    if anomalies:
        raise DataQualityAnomalies(anomalies)
    return anomalies


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m lambda_pipeline.data_quality [--config pipeline.json] [--set a.b=v] [--now ISO]."""
    import argparse
    import json

    from .config import CONFIG_PATH
    from .reconciliation import apply_overrides

    parser = argparse.ArgumentParser(description="Data-quality anomaly checks on the batch layer")
    parser.add_argument("--config", default=str(CONFIG_PATH))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    parser.add_argument("--now", help="check as of this instant (ISO 8601, default: now)")
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        config = apply_overrides(json.load(handle), args.overrides)
    try:
        run(config, datetime.fromisoformat(args.now) if args.now else None)
    except DataQualityAnomalies as error:
        print(json.dumps({"status": "anomalies", "message": str(error), "anomalies": error.anomalies}))
        return 2
    print(json.dumps({"status": "ok"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
