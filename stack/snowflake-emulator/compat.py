"""What the official JDBC driver and the Spark connector send that fakesnow does not take as it is.

* ``COPY INTO <table> FROM @stage`` with CSV files as Snowflake loads them:
  every field is text that Snowflake parses into the column's type (fakesnow
  lets DuckDB guess the types of the file, which loses decimal digits and
  cannot read the connector's timestamps), fields optionally enclosed in
  double quotes with ``""`` inside (an enclosed empty field is an empty
  string, an empty unenclosed field is NULL), and the ``TIMESTAMP_FORMAT``,
  ``DATE_FORMAT``, ``TIME_FORMAT`` and ``BINARY_FORMAT`` options the
  connector always sends (``'TZHTZM YYYY-MM-DD HH24:MI:SS.FF9'``, BASE64).
* ``START TRANSACTION NAME <name>``, which the connector opens around
  TRUNCATE + COPY and which sqlglot cannot parse.
* ``ALTER SESSION SET`` of the parameters the drivers and the connector set
  on every session (``ABORT_DETACHED_QUERY``, ``TIMEZONE`` as UTC, the
  output formats, ``QUERY_TAG``, ...): accepted; they change nothing here
  (results always travel as JSON with Snowflake's default formats, and the
  emulator runs in UTC). Any other parameter, or another time zone, is an
  unsupported feature.
* SUM/AVG of NUMBER columns stay exact; ``CREATE TEMPORARY VIEW db.schema.x``
  works, and a bare column in a MERGE's INSERT VALUES is the source's (dbt's
  incremental models); temporary tables write nothing to fakesnow's global
  catalog, so MERGE works inside a transaction.
* Query results stay retrievable by query id (``RESULT_SCAN``, the drivers'
  status checks) for the newest ``RESULTS_KEPT`` queries, as Snowflake keeps
  them for a day; fakesnow kept every result for the life of the process, so
  a long-running emulator grew without bound. An older id answers as an
  expired one does on Snowflake: ``Statement <id> not found`` (000709).
* Anything fakesnow does not implement answers as Snowflake answers a
  feature it does not have: error ``000002`` (SQLSTATE ``0A000``)
  "Unsupported feature '<what>'", naming the option or statement, instead of
  fakesnow's request to file an issue or an unhandled exception (HTTP 500).
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any

_START_TRANSACTION_NAME = re.compile(r"^\s*START\s+TRANSACTION\s+NAME\s+\S+\s*;?\s*$", re.IGNORECASE)
# A stage named with a quoted identifier that is the same unquoted, possibly inside a string literal
# (write_pandas: FROM (SELECT ... FROM '@"SNOWPARK_TEMP_STAGE_X"')).
_QUOTED_STAGE = re.compile(r"""'?@"([A-Z_][A-Z0-9_$]*)"'?""")
_STAGE_STATEMENT = re.compile(r"^\s*(COPY|PUT|GET|LIST|LS|REMOVE|RM)\b", re.IGNORECASE)
# fakesnow's message for what it lacks, behind the "009999 (99999): " the Python connector puts in front
_NOT_IMPLEMENTED = re.compile(r"^(?:\d{6} \(\w{5}\): )?(.*) not implemented\. Please raise an issue via \S+$", re.DOTALL)

# Target column types of the COPY being planned: (duckdb type, ...) in the order the file's columns load.
_copy_target_types: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("copy_target_types", default=None)

# Snowflake datetime format elements -> DuckDB strptime, longest first.
_FORMAT_ELEMENTS = [
    ("TZH:TZM", "%z"),
    ("TZHTZM", "%z"),
    ("YYYY", "%Y"),
    ("HH24", "%H"),
    ("HH12", "%I"),
    ("FF9", "%n"),
    ("FF6", "%f"),
    ("FF3", "%g"),
    ("FF", "%n"),
    ("MON", "%b"),
    ("YY", "%y"),
    ("MM", "%m"),
    ("DD", "%d"),
    ("HH", "%H"),
    ("MI", "%M"),
    ("SS", "%S"),
    ("AM", "%p"),
    ("PM", "%p"),
]
_OFFSET = r"(Z|[+-]\d{2}:?\d{2})"


# Session parameters accepted by ALTER SESSION SET without an effect on the emulator.
ACCEPTED_SESSION_PARAMETERS = {
    "ABORT_DETACHED_QUERY",
    "AUTOCOMMIT",
    "BINARY_OUTPUT_FORMAT",
    "CLIENT_SESSION_KEEP_ALIVE",
    "DATE_OUTPUT_FORMAT",
    "JDBC_QUERY_RESULT_FORMAT",
    "QUERY_TAG",
    "QUOTED_IDENTIFIERS_IGNORE_CASE",
    "S3_STAGE_VPCE_DNS_NAME",
    "STATEMENT_TIMEOUT_IN_SECONDS",
    "TIME_OUTPUT_FORMAT",
    "TIMESTAMP_LTZ_OUTPUT_FORMAT",
    "TIMESTAMP_NTZ_OUTPUT_FORMAT",
    "TIMESTAMP_OUTPUT_FORMAT",
    "TIMESTAMP_TZ_OUTPUT_FORMAT",
    "TIMEZONE",
    "USE_CACHED_RESULT",
    "WEEK_START",
}
UTC_ZONES = {"UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z", "DEFAULT"}


class Unsupported(NotImplementedError):
    """A Snowflake feature the emulator does not have; the message names it."""


def strptime_format(snowflake_format: str, option: str) -> str:
    """A Snowflake format (YYYY-MM-DD HH24:MI:SS.FF9 ...) as a DuckDB strptime format."""
    out, i, text = [], 0, snowflake_format
    while i < len(text):
        for element, directive in _FORMAT_ELEMENTS:
            if text.startswith(element, i):
                out.append(directive)
                i += len(element)
                break
        else:
            ch = text[i]
            if ch.isalpha():
                raise Unsupported(f"{option} = '{snowflake_format}' (format element at '{text[i:]}')")
            out.append("%%" if ch == "%" else ch)
            i += 1
    return "".join(out)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def conversion(column: str, duck_type: str, formats: dict[str, str]) -> str | None:
    """DuckDB SQL that turns the text field `column` into `duck_type` as Snowflake's COPY would; None: a plain cast does."""
    upper = duck_type.upper()
    value = f'"{column}"'
    if upper.startswith("TIMESTAMP"):
        fmt = formats.get("TIMESTAMP_FORMAT", "AUTO")
        with_zone = "TIME ZONE" in upper
        if fmt.upper() == "AUTO":
            return None
        directives = strptime_format(fmt, "TIMESTAMP_FORMAT")
        if "%z" in directives and not with_zone:
            # TIMESTAMP_NTZ keeps the wall clock and drops the offset, as Snowflake does
            directives = re.sub(r"^%z\s*|\s*%z$", "", directives)
            stripped = f"regexp_replace({value}, '^{_OFFSET}\\s+|\\s*{_OFFSET}$', '')"
            return f"strptime({stripped}, {_sql_string(directives)})"
        if "%z" in directives:
            # DuckDB's %z wants an offset; Snowflake's TZH writes UTC as Z
            zoned = f"regexp_replace(regexp_replace({value}, '^Z(\\s)', '+0000\\1'), '(\\s)Z$', '\\1+0000')"
            return f"strptime({zoned}, {_sql_string(directives)})"
        return f"strptime({value}, {_sql_string(directives)})"
    if upper == "DATE":
        fmt = formats.get("DATE_FORMAT", "AUTO")
        # The connector declares its timestamp format for dates too but writes plain YYYY-MM-DD;
        # Snowflake reads both, so a date without the format's offset and time is taken as it is.
        if fmt.upper() == "AUTO":
            return None
        directives = strptime_format(fmt, "DATE_FORMAT")
        without_zone = re.sub(r"^%z\s*|\s*%z$", "", directives)
        stripped = f"regexp_replace({value}, '^{_OFFSET}\\s+|\\s*{_OFFSET}$', '')"
        return (
            f"CASE WHEN regexp_full_match({value}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN CAST({value} AS DATE) "
            f"ELSE CAST(strptime({stripped}, {_sql_string(without_zone)}) AS DATE) END"
        )
    if upper.startswith("TIME") and not upper.startswith("TIMESTAMP"):
        fmt = formats.get("TIME_FORMAT", "AUTO")
        if fmt.upper() == "AUTO":
            return None
        return f"CAST(strptime({value}, {_sql_string(strptime_format(fmt, 'TIME_FORMAT'))}) AS TIME)"
    if upper == "BLOB":
        binary = formats.get("BINARY_FORMAT", "HEX").upper()
        if binary == "HEX":
            return f"unhex({value})"
        if binary == "BASE64":
            return f"from_base64({value})"
        if binary == "UTF8":
            return f"encode({value})"
        raise Unsupported(f"BINARY_FORMAT = {binary}")
    return None


def exact_numeric_aggregates() -> None:
    """SUM/AVG/... of a NUMBER column stay exact, as in Snowflake.

    fakesnow wraps the argument of every numeric aggregate in
    TRY_CAST(... AS DOUBLE) so that SUM over VARCHAR works; that also turns
    SUM(NUMBER(12,2)) into a float (10156655718.770006 instead of
    10156655718.77), and exact sums are what the reconciliation and dbt's
    window marts compare. Only string literals keep the cast; Snowflake's
    column name (SUM(AMOUNT)) is still given.
    """
    from sqlglot import Expr, exp

    import fakesnow.transforms as fs_transforms
    from fakesnow.transforms import transforms as fs_impl

    cast_to_double = fs_transforms.numeric_agg_implicit_cast

    def numeric_agg(expression: Expr) -> Expr:
        if not isinstance(expression, fs_impl._NUMERIC_ONLY_AGGS):
            return expression
        arg = expression.this
        if isinstance(arg, exp.Literal) and arg.is_string:
            return cast_to_double(expression)
        name = None if isinstance(expression.parent, exp.Alias) else fs_impl._numeric_agg_col_name(expression, arg)
        if name and isinstance(expression.parent, exp.Select):
            return exp.alias_(expression, name, quoted=True)
        return expression

    fs_transforms.numeric_agg_implicit_cast = numeric_agg


def qualified_temporary_views() -> None:
    """CREATE TEMPORARY VIEW db.schema.name works, as in Snowflake.

    dbt-snowflake's incremental merge first creates `<model>__dbt_tmp` as a
    temporary view named with its database and schema; DuckDB only accepts
    temporary objects in its "temp" catalog and refuses the statement. The
    view is created as a plain view in that schema instead (dbt replaces it on
    the next run), which is what later statements of the session expect to
    find under that name.
    """
    from sqlglot import Expr, exp

    import fakesnow.transforms as fs_transforms

    next_transform = fs_transforms.extract_comment_on_table

    def plain_view(expression: Expr) -> Expr:
        if (
            isinstance(expression, exp.Create)
            and str(expression.args.get("kind", "")).upper() == "VIEW"
            and isinstance(expression.this, exp.Table)
            and expression.this.args.get("db") is not None
        ):
            properties = expression.args.get("properties")
            for prop in list(properties.expressions if properties else []):
                if isinstance(prop, exp.TemporaryProperty):
                    prop.pop()
        return next_transform(expression)

    fs_transforms.extract_comment_on_table = plain_view


def temporary_tables_without_metadata() -> None:
    """A temporary table leaves no comment row in fakesnow's global catalog.

    fakesnow records the comment of every created table (None when there is
    none) in its `_fs_global` database. DuckDB lets a transaction write to one
    database only, so inside a transaction (the Spark connector's TRUNCATE +
    COPY + MERGE) the temporary table that fakesnow's MERGE builds failed
    with "a single transaction can only write to a single attached database".
    A temporary table has no comment to keep.
    """
    from sqlglot import Expr, exp

    import fakesnow.transforms as fs_transforms

    next_transform = fs_transforms.extract_comment_on_table

    def no_empty_comment(expression: Expr) -> Expr:
        transformed = next_transform(expression)
        recorded = transformed.args.get("table_comment")
        if recorded and recorded[1] is None and transformed.find(exp.TemporaryProperty):
            del transformed.args["table_comment"]
        return transformed

    fs_transforms.extract_comment_on_table = no_empty_comment



def merge_inserts_read_the_source() -> None:
    """In MERGE ... WHEN NOT MATCHED THEN INSERT VALUES (...), a bare column is the source's.

    Snowflake resolves the VALUES of the insert against the source row (there
    is no target row), and dbt-snowflake's incremental MERGE relies on it
    (`values ("ID", "AMOUNT", ...)`). fakesnow joins target and source to
    plan the MERGE, where such a name is ambiguous, so it is qualified with
    the source's name before fakesnow sees the statement.
    """
    from sqlglot import Expr, exp

    import fakesnow.transforms as fs_transforms

    next_merge = fs_transforms.merge

    def merge(expression: Expr) -> list[Expr]:
        if isinstance(expression, exp.Merge):
            source = expression.args.get("using")
            name = source.alias_or_name if source is not None else None
            for when in expression.args.get("whens") or []:
                then = when.args.get("then")
                if not when.args.get("matched") and isinstance(then, exp.Insert) and name:
                    for column in then.expression.find_all(exp.Column):
                        if not column.table:
                            column.set("table", exp.to_identifier(name))
        return next_merge(expression)

    fs_transforms.merge = merge


RESULTS_KEPT = 1000


class RecentResults(OrderedDict):
    """fakesnow's results cache, keeping the newest ``limit`` entries.

    Requests run on several threads: every access takes the lock.
    """

    def __init__(self, limit: int = RESULTS_KEPT) -> None:
        super().__init__()
        self.limit = limit
        self.lock = threading.Lock()

    def __setitem__(self, key: str, value: Any) -> None:
        with self.lock:
            super().__setitem__(key, value)
            while len(self) > self.limit:
                self.popitem(last=False)

    def get(self, key: str, default: Any = None) -> Any:
        with self.lock:
            return super().get(key, default)


def bound_results(instance: Any) -> None:
    """Gives a FakeSnow instance the bounded cache (before its connections are made)."""
    instance.results_cache = RecentResults()


def install() -> None:
    """Patches fakesnow (call before the server starts, and before stages.install)."""
    exact_numeric_aggregates()
    qualified_temporary_views()
    temporary_tables_without_metadata()
    merge_inserts_read_the_source()
    from sqlglot import exp
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    import fakesnow.copy_into as fs_copy
    import fakesnow.server as fs_server

    base_handle_csv = fs_copy.handle_csv
    base_read_csv = fs_copy.ReadCSV

    @dataclass
    class SnowflakeCSV(base_read_csv):  # type: ignore[valid-type, misc]
        """fakesnow's CSV reader with Snowflake's text-first parsing."""

        formats: dict[str, str] = field(default_factory=dict)
        # Names of the file's columns, one per target column (set per COPY).
        names: list[str] = field(default_factory=list)

        def read_expression(self, url: str) -> Any:
            read = super().read_expression(url)
            extra = [
                self.make_eq("all_varchar", True),
                # "" inside an enclosed field is a quote; an enclosed empty field is an empty string
                self.make_eq("allow_quoted_nulls", False),
            ]
            if self.quote:
                extra.append(self.make_eq("escape", self.quote))
            if self.names:
                extra.append(self.make_eq("names", self.names))
            read.set("expressions", [*read.expressions, *extra])
            return read

    format_options = {"TIMESTAMP_FORMAT", "DATE_FORMAT", "TIME_FORMAT", "BINARY_FORMAT"}

    def handle_csv(options: dict[str, Any]) -> Any:
        formats = {name: str(value) for name, value in options.items() if name in format_options}
        rest = {name: value for name, value in options.items() if name not in format_options}
        base = base_handle_csv(rest)
        return SnowflakeCSV(**asdict(base), formats=formats)

    fs_copy.handle_csv = handle_csv

    base_params = fs_copy._params  # noqa: SLF001

    def params(expr: Any, *args: Any, **kwargs: Any) -> Any:
        for param in expr.args.get("params") or []:
            name = param.this.name.upper() if isinstance(param.this, exp.Var) else ""
            value = param.expression
            if name == "ON_ERROR" and isinstance(value, (exp.Var, exp.Literal)) and value.name.upper() != "ABORT_STATEMENT":
                raise Unsupported(f"COPY option ON_ERROR = {value.name.upper()} (only ABORT_STATEMENT)")
        try:
            return base_params(expr, *args, **kwargs)
        except ValueError as e:  # "Unknown copy parameter: X"
            raise Unsupported("COPY option " + str(e).split(": ", 1)[-1].upper()) from None

    fs_copy._params = params  # noqa: SLF001

    base_copy_into = fs_copy.copy_into

    def copy_into(duck_conn: Any, current_database: Any, current_schema: Any, expr: Any, *args: Any, **kwargs: Any):
        table = fs_copy._extract_table(expr.this)  # noqa: SLF001
        try:
            described = fs_copy._describe_table(table, duck_conn, current_database, current_schema)  # noqa: SLF001
        except Exception:  # noqa: BLE001 - fakesnow reports the missing table itself
            described = []
        types = dict((name.upper(), duck_type) for name, duck_type in described)
        columns = [c.name.upper() for c in expr.this.expressions] if isinstance(expr.this, exp.Schema) else []
        ordered = [types.get(c, "VARCHAR") for c in columns] if columns else [t for _, t in described]
        token = _copy_target_types.set(ordered)
        try:
            return base_copy_into(duck_conn, current_database, current_schema, expr, *args, **kwargs)
        finally:
            _copy_target_types.reset(token)

    fs_copy.copy_into = copy_into
    # the cursor imported the function by name
    import fakesnow.cursor as fs_cursor

    fs_cursor.copy_into = copy_into

    base_inserts = fs_copy._inserts  # noqa: SLF001

    def inserts(expr: Any, cparams: Any, urls: list[str], parquet_info: Any = None) -> list[Any]:
        types = _copy_target_types.get()
        from_ = expr.args["files"][0]
        csv = cparams.file_format
        if not isinstance(csv, SnowflakeCSV) or isinstance(from_, exp.Subquery) or not types:
            return base_inserts(expr, cparams, urls, parquet_info)
        # The file's fields by position, each parsed from text as Snowflake parses it into its column.
        csv.names = [f"c{i}" for i in range(len(types))]
        planned = base_inserts(expr, cparams, urls, parquet_info)
        for insert in planned:
            fields = []
            for name, duck_type in zip(csv.names, types, strict=True):
                sql = conversion(name, duck_type, csv.formats)
                fields.append(exp.maybe_parse(sql, dialect="duckdb") if sql else exp.column(name, quoted=True))
            insert.expression.set("expressions", fields)
        return planned

    fs_copy._inserts = inserts  # noqa: SLF001

    # -- ALTER SESSION SET of the parameters clients set on every session
    import fakesnow.transforms as fs_transforms

    base_alter_session = fs_transforms.alter_session

    def alter_session(expression: Any) -> Any:
        if not (isinstance(expression, exp.Alter) and expression.kind == "SESSION"):
            return expression
        alter = expression.find(exp.AlterSession)
        items = (alter.args.get("expressions") or []) if alter else []
        settings = {}
        for item in items:
            eq = item.this if isinstance(item, exp.SetItem) else None
            if not isinstance(eq, exp.EQ) or not isinstance(eq.this, (exp.Column, exp.Identifier, exp.Var)):
                return base_alter_session(expression)
            value = eq.args.get("expression")
            settings[eq.this.name.upper()] = value.name if isinstance(value, (exp.Literal, exp.Identifier, exp.Var)) else value.sql()
        if not settings or (alter and alter.args.get("unset")):
            return base_alter_session(expression)
        if set(settings) <= {"AUTOCOMMIT", "QUOTED_IDENTIFIERS_IGNORE_CASE"}:
            return base_alter_session(expression)
        unknown = sorted(set(settings) - ACCEPTED_SESSION_PARAMETERS)
        if unknown:
            raise Unsupported(f"ALTER SESSION SET {unknown[0]}")
        zone = settings.get("TIMEZONE")
        if zone is not None and zone.upper() not in UTC_ZONES:
            raise Unsupported(f"ALTER SESSION SET TIMEZONE = '{zone}' (the emulator runs in UTC)")
        autocommit = settings.get("AUTOCOMMIT")
        nop = fs_transforms.SUCCESS_NOP.copy()
        if autocommit is not None:
            nop.args["set_autocommit"] = autocommit.upper() == "TRUE"
        return nop

    fs_transforms.alter_session = alter_session

    # -- statements, and errors that name what is unsupported
    query_request = fs_server.query_request

    async def query_compatible(request: Request) -> Any:
        raw = await request.body()
        gzipped = request.headers.get("Content-Encoding") == "gzip"
        import gzip

        body = json.loads(gzip.decompress(raw) if gzipped else raw)
        sql = str(body.get("sqlText", ""))
        rewritten = None
        if _START_TRANSACTION_NAME.match(sql):
            # a named transaction is a transaction; the name only shows in Snowflake's history
            rewritten = "BEGIN TRANSACTION"
        elif _STAGE_STATEMENT.match(sql) and _QUOTED_STAGE.search(sql):
            # fakesnow reads stage references only unquoted; these names mean the same unquoted
            rewritten = _QUOTED_STAGE.sub(r"@\1", sql)
        if rewritten is not None:
            encoded = json.dumps({**body, "sqlText": rewritten}).encode()
            request._body = gzip.compress(encoded) if gzipped else encoded  # noqa: SLF001
        try:
            response = await query_request(request)
        except Unsupported as e:
            return _unsupported(str(e))
        return _name_unsupported(response)

    fs_server.query_request = query_compatible

    def _unsupported(what: str) -> Any:
        message = f"Unsupported feature '{what}'. (The local Snowflake emulator does not emulate it.)"
        return JSONResponse(
            {"data": {"errorCode": "000002", "sqlState": "0A000"}, "code": "000002", "message": message, "success": False}
        )

    def _name_unsupported(response: Any) -> Any:
        if not isinstance(response, JSONResponse):
            return response
        try:
            answer = json.loads(response.body)
        except ValueError:
            return response
        if answer.get("success") is False and answer.get("code") == "009999":
            m = _NOT_IMPLEMENTED.match(str(answer.get("message", "")))
            return _unsupported(m.group(1) if m else str(answer.get("message")))
        return response
