#!/usr/bin/env bash
# Benchmarks of the monitoring backend on the local stack: health latency
# with every probe live at 1M and 50M ClickHouse rows, a consistency check
# over 10M rows per side, and the lag of a 100-partition consumer group next
# to the community Kafka backend plugin. Usage:
#   bench/monitoring.sh [calls]      (default 20 calls per latency figure)
# Brings up the stack components it needs (they stay up). Writes
# bench/results/monitoring.json and prints it. About 10 minutes on 2 cores.
source "$(dirname "$0")/lib.sh"
export LP_BENCH_CALLS="${1:-20}"
echo "bench: monitoring (health at 1M/50M rows, consistency at 10M rows, 100-partition lag), ${LP_BENCH_CALLS} calls per figure" >&2
run_bench monitoring plugins/lambda-pipeline-backend bench/monitor.bench.ts 7200000
