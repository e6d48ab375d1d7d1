"""Runs fakesnow's HTTP server (the SQL engine behind the Snowflake emulator).

Started by server.ts, never directly. Differences from `fakesnow -s`:
  * --db-path keeps every database as a DuckDB file in that directory (the
    stock server mode is in-memory only), and databases already on disk are
    attached at start so they are visible before anyone names them at login;
    fakesnow's own catalog (stages, file formats, load history) is kept there
    too;
  * the process asks the kernel for SIGTERM when its parent dies, so it never
    outlives the TypeScript front;
  * SIGTERM/SIGINT stop uvicorn cleanly, which lets DuckDB checkpoint;
  * internal stages keep their files in the S3 stand-in and answer PUT/GET as
    Snowflake does (stages.py), and COPY INTO, named transactions and
    unsupported features behave as the JDBC driver and the Spark connector
    expect (compat.py).
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import shutil
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


def persist_global_catalog(fs: object, db_path: Path) -> None:
    """fakesnow's catalog of what spans databases survives a restart, as the databases do.

    fakesnow keeps stages, file formats, table comments, VARCHAR lengths and
    COPY's load history in an in-memory database (`_fs_global`), so a restart
    forgot every named stage. It becomes a file beside the databases (not
    named *.db, which the launcher attaches as Snowflake databases).
    """
    from fakesnow import info_schema
    from fakesnow.transforms import show

    duck = fs.duck_conn  # type: ignore[attr-defined]
    duck.execute("DETACH _fs_global")
    duck.execute(f"ATTACH '{db_path / 'fakesnow-global.duckdb'}' AS _fs_global")
    duck.execute(info_schema.fs_global_creation_sql())
    duck.execute(show.fs_global_creation_sql())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db-path", help="directory for the DuckDB files; in-memory when omitted")
    parser.add_argument("--stage-s3-endpoint", help="http://<IPv4>:<port> of the S3 store that holds internal stages")
    parser.add_argument("--stage-s3-region", default="us-east-1")
    parser.add_argument("--stage-s3-bucket", default="lp-snowflake-stages")
    parser.add_argument("--stage-s3-prefix", default="stages")
    parser.add_argument("--front-url", help="where clients reach the emulator's front (for presigned upload URLs)")
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
    # A FIXED binding may carry decimals (the JDBC driver binds a BigDecimal
    # as FIXED "1.25"), which fakesnow would read with int().
    convert_binding = fs_server.from_binding

    def from_binding_or_null(binding: dict) -> object:
        value = binding.get("value")
        if value is None:
            return None
        if binding.get("type") == "FIXED" and isinstance(value, str) and any(ch in value for ch in ".eE"):
            from decimal import Decimal

            return Decimal(value)
        return convert_binding(binding)

    fs_server.from_binding = from_binding_or_null

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import compat
    import stages

    compat.install()
    if args.stage_s3_endpoint:
        from fakesnow.transforms import stage as fs_stage

        # the engine's copy of each stage's files, refilled from S3 before every read
        if args.db_path:
            cache = Path(args.db_path).resolve() / "stage-files"
            shutil.rmtree(cache, ignore_errors=True)
            cache.mkdir(parents=True)
            shutil.rmtree(fs_stage.LOCAL_BUCKET_PATH, ignore_errors=True)
            fs_stage.LOCAL_BUCKET_PATH = str(cache)
        storage = stages.StageStorage(
            endpoint=args.stage_s3_endpoint,
            region=args.stage_s3_region,
            bucket=args.stage_s3_bucket,
            prefix=args.stage_s3_prefix,
            # the S3 stand-in takes any key; these are what the stage answers hand to clients
            access_key=os.environ.get("LP_STAGE_S3_ACCESS_KEY_ID", "test"),
            secret_key=os.environ.get("LP_STAGE_S3_SECRET_ACCESS_KEY", "test"),
            master_key=stages.master_key(args.db_path),
            local_root=fs_stage.LOCAL_BUCKET_PATH,
        )
        stages.install(storage, args.front_url)

    log = logging.getLogger("fakesnow.launcher")
    # Results by query id: the newest compat.RESULTS_KEPT, not every one.
    compat.bound_results(fs_server.shared_fs)
    if args.db_path:
        db_path = Path(args.db_path).resolve()
        db_path.mkdir(parents=True, exist_ok=True)
        # login_request() reads this module global on every login
        fs_server.shared_fs = FakeSnow(db_path=db_path)
        compat.bound_results(fs_server.shared_fs)
        persist_global_catalog(fs_server.shared_fs, db_path)
        for db_file in sorted(db_path.glob("*.db")):
            fs_server.shared_fs.connect(db_file.stem).close()
            log.warning("attached existing database %s", db_file.stem)

    if args.stage_s3_endpoint and args.db_path:
        for name in stages.drop_orphaned_temporary_stages(storage):
            log.warning("dropped temporary stage %s: its session ended with the previous run", name)

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
