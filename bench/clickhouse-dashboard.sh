#!/usr/bin/env bash
# Benchmark of dashboard-style queries on the speed layer's ClickHouse table
# (the DDL the template renders), 10 million rows: p50/p95 per query reading
# the latest version of every key (FINAL), against the same query as a plain
# scan in the same run. Target: p95 under a second.
# Usage:  bench/clickhouse-dashboard.sh   (LP_BENCH_ROWS, LP_BENCH_RUNS)
# Brings up ClickHouse (it stays up). Writes bench/results/clickhouse-dashboard.json.
source "$(dirname "$0")/lib.sh"
echo "bench: dashboard queries on ClickHouse over ${LP_BENCH_ROWS:-10000000} rows" >&2
run_bench clickhouse-dashboard plugins/scaffolder-backend-module-lambda-pipeline src/jobs/clickhouseDashboard.bench.ts 3600000
