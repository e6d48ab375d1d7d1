#!/usr/bin/env bash
# Benchmark of the CDC path (PostgreSQL commit -> Debezium -> Kafka) on the
# local stack, driven by the load generator (stack/loadgen):
#   - sustained: LP_BENCH_RATE events/s (default 20000) for LP_BENCH_SECONDS
#     (default 300): the rate that reaches Kafka, its ratio to what was
#     committed, p50/p95 freshness (commit -> at the end of the CDC topic);
#   - ceiling: LP_BENCH_CEILING_RATES (default 10000,20000,30000,40000) for
#     LP_BENCH_CEILING_SECONDS each (default 30): the highest rate whose
#     changes all reach Kafka within 10 s of the load ending.
# Brings up the stack (it stays up). Writes bench/results/cdc-path.json.
source "$(dirname "$0")/lib.sh"
echo "bench: CDC path (PostgreSQL -> Debezium -> Kafka)" >&2
run_bench cdc-path stack bench/cdc-path.bench.ts 14400000
