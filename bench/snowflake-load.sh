#!/usr/bin/env bash
# Benchmark of the batch layer's Snowflake load on the local stack:
# LP_BENCH_ROWS rows (default 1,000,000) into the Snowflake emulator through
# the official Spark connector (what the batch job does), against the same
# rows through snowflake-connector-python's write_pandas in the same run,
# LP_BENCH_RUNS times each (default 3, alternating order): rows/s and the
# ratio. Brings up the stack (it stays up). Writes
# bench/results/snowflake-load.json.
source "$(dirname "$0")/lib.sh"
echo "bench: rows into Snowflake (Spark connector vs write_pandas)" >&2
run_bench snowflake-load plugins/scaffolder-backend-module-lambda-pipeline src/jobs/snowflakeLoad.bench.ts 3600000
