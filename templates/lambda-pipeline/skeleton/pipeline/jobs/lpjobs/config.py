"""The jobs' view of the pipeline: ``jobs/pipeline.json``, written by the template.

Every name, type and endpoint the jobs use comes from that file, so no job
re-derives a topic or table name. Endpoints can be overridden on the command
line (``--set speed.clickhouseUrl=http://localhost:8123``), which is how the
jobs run outside the cluster; credentials only ever come from the
environment.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str
    nullable: bool
    spark: str
    clickhouse: str
    snowflake: str
    debezium: str


@dataclass(frozen=True)
class Table:
    source: str
    topic: str
    clickhouse_table: str
    iceberg_table: str
    snowflake_table: str
    snowflake_staging_table: str
    primary_key: tuple[str, ...]
    event_time_column: str
    measures: tuple[str, ...]
    columns: tuple[Column, ...]

    @staticmethod
    def from_json(raw: dict[str, Any]) -> "Table":
        return Table(
            source=raw["source"],
            topic=raw["topic"],
            clickhouse_table=raw["clickhouseTable"],
            iceberg_table=raw["icebergTable"],
            snowflake_table=raw["snowflakeTable"],
            snowflake_staging_table=raw["snowflakeStagingTable"],
            primary_key=tuple(raw["primaryKey"]),
            event_time_column=raw["eventTimeColumn"],
            measures=tuple(raw["measures"]),
            columns=tuple(Column(**c) for c in raw["columns"]),
        )


@dataclass(frozen=True)
class Config:
    raw: dict[str, Any]
    tables: tuple[Table, ...]

    def get(self, path: str) -> Any:
        node: Any = self.raw
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError("{} is not in jobs/pipeline.json".format(path))
            node = node[part]
        return node

    def table_for_topic(self, topic: str) -> Table:
        for table in self.tables:
            if table.topic == topic:
                return table
        raise KeyError("no table reads topic {}".format(topic))


def _apply_override(raw: dict[str, Any], assignment: str) -> None:
    path, sep, value = assignment.partition("=")
    if not sep or not path:
        raise SystemExit("--set expects path=value, got {!r}".format(assignment))
    parts = path.split(".")
    node = raw
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            raise SystemExit("--set {}: {} is not a section of jobs/pipeline.json".format(path, part))
        node = node[part]
    if parts[-1] not in node:
        raise SystemExit("--set {}: unknown setting (check jobs/pipeline.json)".format(path))
    current = node[parts[-1]]
    # Keep the type of the value being replaced (numbers stay numbers).
    if isinstance(current, bool):
        node[parts[-1]] = value.lower() in ("1", "true", "yes")
    elif isinstance(current, int):
        node[parts[-1]] = int(value)
    elif isinstance(current, float):
        node[parts[-1]] = float(value)
    else:
        node[parts[-1]] = value


def load(path: str, overrides: list[str] | None = None) -> Config:
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    for assignment in overrides or []:
        _apply_override(raw, assignment)
    return Config(raw=raw, tables=tuple(Table.from_json(t) for t in raw["tables"]))


def argument_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--config",
        default="jobs/pipeline.json",
        help="the pipeline's job configuration (default: jobs/pipeline.json)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override one setting of the configuration, e.g. speed.clickhouseUrl=http://localhost:8123",
    )
    return parser


def with_catalog_credentials(builder, catalog: str):
    """A JDBC catalog's login from the environment (the PostgreSQL Secret), never from pipeline.json.

    Spark redacts ``*password*`` settings in its UI and logs.
    """
    user = os.environ.get("ICEBERG_JDBC_USER")
    password = os.environ.get("ICEBERG_JDBC_PASSWORD")
    if user:
        builder = builder.config("spark.sql.catalog.{}.jdbc.user".format(catalog), user)
    if password:
        builder = builder.config("spark.sql.catalog.{}.jdbc.password".format(catalog), password)
    return builder
