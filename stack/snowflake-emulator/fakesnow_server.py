"""Runs fakesnow's HTTP server (the SQL engine behind the Snowflake emulator).

Started by server.ts, never directly. Differences from `fakesnow -s`:
  * --db-path keeps every database as a DuckDB file in that directory (the
    stock server mode is in-memory only), and databases already on disk are
    attached at start so they are visible before anyone names them at login;
  * the process asks the kernel for SIGTERM when its parent dies, so it never
    outlives the TypeScript front;
  * SIGTERM/SIGINT stop uvicorn cleanly, which lets DuckDB checkpoint.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import sys
import warnings
from pathlib import Path

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
    # the parent may already have gone between fork and prctl
    if os.getppid() == 1:
        sys.exit(0)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db-path", help="directory for the DuckDB files; in-memory when omitted")
    args = parser.parse_args()

    die_with_parent()

    import uvicorn

    import fakesnow.server as fs_server
    from fakesnow.instance import FakeSnow

    # one INFO line per login and per failed statement is noise next to the
    # front's own log; keep fakesnow's warnings and errors (unhandled
    # exceptions come with a traceback). LP_SNOWFLAKE_EMULATOR_DEBUG=1 keeps all.
    if not os.environ.get("LP_SNOWFLAKE_EMULATOR_DEBUG"):
        logging.getLogger("fakesnow.server").setLevel(logging.WARNING)
        # DuckDB warns that Arrow output copies rows; fakesnow asks for it on purpose
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")

    # Bind values may be NULL in every type, but fakesnow converts each one with
    # its declared type (int(None), None.lower(), ...). The Node driver types an
    # array binding's column after its first row, so a later NULL in a FIXED or
    # BOOLEAN column would crash the statement.
    convert_binding = fs_server.from_binding

    def from_binding_or_null(binding: dict) -> object:
        return None if binding.get("value") is None else convert_binding(binding)

    fs_server.from_binding = from_binding_or_null

    exact_numeric_aggregates()
    qualified_temporary_views()

    log = logging.getLogger("fakesnow.launcher")
    if args.db_path:
        db_path = Path(args.db_path).resolve()
        db_path.mkdir(parents=True, exist_ok=True)
        # login_request() reads this module global on every login
        fs_server.shared_fs = FakeSnow(db_path=db_path)
        for db_file in sorted(db_path.glob("*.db")):
            fs_server.shared_fs.connect(db_file.stem).close()
            log.warning("attached existing database %s", db_file.stem)

    # uvicorn re-raises the stop signal once it has shut down; with these
    # handlers in place that no longer kills the process, so the checkpoint
    # below still runs
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: None)
    uvicorn.run(fs_server.app, host=args.host, port=args.port, log_level="warning", access_log=False)

    if args.db_path:
        # fold the write-ahead logs into the database files, so a stopped
        # emulator leaves plain .db files behind (a crash is fine too: DuckDB
        # replays the WAL at the next start)
        duck = fs_server.shared_fs.duck_conn
        files = duck.execute("select database_name from duckdb_databases() where path is not null").fetchall()
        for (name,) in files:
            try:
                duck.execute(f'CHECKPOINT "{name}"')
            except Exception as e:  # noqa: BLE001
                log.warning("could not checkpoint %s: %s", name, e)
        duck.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
