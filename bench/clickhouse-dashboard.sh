#!/usr/bin/env bash
# Benchmark of dashboard-style queries on the speed layer's ClickHouse table
# (the DDL the template renders), 10 million rows: p50/p95 per query reading
# the latest version of every key (FINAL), against the same query as a plain
# scan in the same run. Target: p95 under a second.
# Usage:  bench/clickhouse-dashboard.sh   (LP_BENCH_ROWS, LP_BENCH_RUNS)
# Brings up ClickHouse (it stays up). Writes bench/results/clickhouse-dashboard.json.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/lib.sh
ensure_node
ensure_deps
mkdir -p bench/results
export LP_BENCH_OUT="$ROOT/bench/results/clickhouse-dashboard.json"
cd plugins/scaffolder-backend-module-lambda-pipeline
echo "bench: dashboard queries on ClickHouse over ${LP_BENCH_ROWS:-10000000} rows" >&2
CI=true NODE_OPTIONS=--experimental-vm-modules yarn backstage-cli package test \
  --testMatch '**/*.bench.ts' --testTimeout 3600000 src/jobs/clickhouseDashboard.bench.ts
