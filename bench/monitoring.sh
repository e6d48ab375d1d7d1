#!/usr/bin/env bash
# Benchmarks of the monitoring backend on the local stack: health latency
# with every probe live at 1M and 50M ClickHouse rows, a consistency check
# over 10M rows per side, and the lag of a 100-partition consumer group next
# to the community Kafka backend plugin. Usage:
#   bench/monitoring.sh [calls]      (default 20 calls per latency figure)
# Brings up the stack components it needs (they stay up). Writes
# bench/results/monitoring.json and prints it. About 10 minutes on 2 cores.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/lib.sh
ensure_node
ensure_deps
mkdir -p bench/results
export LP_BENCH_CALLS="${1:-20}"
export LP_BENCH_OUT="$ROOT/bench/results/monitoring.json"
cd plugins/lambda-pipeline-backend
echo "bench: monitoring (health at 1M/50M rows, consistency at 10M rows, 100-partition lag), ${LP_BENCH_CALLS} calls per figure" >&2
CI=true NODE_OPTIONS=--experimental-vm-modules yarn backstage-cli package test \
  --testMatch '**/*.bench.ts' --testTimeout 7200000 bench/monitor.bench.ts
