"""Runs ClickHouse as an HTTP server from libchdb.so (ClickHouse built as a library).

The npm package @chdb/lib-linux-x64-gnu ships ClickHouse as `libchdb.so`. Its
`chdb_query_cmdline` takes clickhouse-local arguments; with `--http_port` and
`SYSTEM START LISTEN HTTP` the embedded server answers HTTP like
clickhouse-server. The second statement never finishes, which keeps the
server (and this process) alive until it is signalled.

usage: launch.py LIBCHDB_SO HTTP_PORT DATA_DIR LISTEN_HOST MAX_MEMORY_BYTES
"""
import ctypes
import sys


def main() -> int:
    lib_path, http_port, data_dir, listen_host, max_memory = sys.argv[1:6]
    lib = ctypes.CDLL(lib_path)
    lib.chdb_query_cmdline.restype = ctypes.c_void_p
    lib.chdb_query_cmdline.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    lib.chdb_result_error.restype = ctypes.c_char_p
    lib.chdb_result_error.argtypes = [ctypes.c_void_p]
    args = [
        "clickhouse",
        f"--listen_host={listen_host}",
        f"--http_port={http_port}",
        f"--path={data_dir}",
        "--multiquery",
        "--query=SYSTEM START LISTEN HTTP; "
        "SELECT sleepEachRow(1) FROM system.numbers "
        "SETTINGS max_block_size = 1, max_execution_time = 0, "
        "function_sleep_max_microseconds_per_block = 0 FORMAT Null",
        # Server settings after `--`: a small host, so cap the server's memory.
        "--",
        f"--max_server_memory_usage={max_memory}",
    ]
    argv = (ctypes.c_char_p * len(args))(*[a.encode() for a in args])
    print(f"clickhouse (libchdb) listening on {listen_host}:{http_port}, data in {data_dir}", flush=True)
    result = lib.chdb_query_cmdline(len(args), argv)
    error = lib.chdb_result_error(result) if result else b"no result"
    print(f"clickhouse stopped: {(error or b'').decode(errors='replace')}", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
