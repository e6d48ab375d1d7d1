#!/usr/bin/env bash
# Benchmark of the speed layer (Kafka -> the rendered Spark Structured
# Streaming job -> ClickHouse) on the local stack:
#   - sustained: LP_BENCH_RATE events/s (default 20000) for LP_BENCH_SECONDS
#     (default 300) of Debezium events produced to the CDC topic: the rate
#     landing in ClickHouse, p50/p95 freshness (event sent -> queryable);
#     then LP_BENCH_STEP_RATES (default 5000,10000,25000,30000,35000,40000) for LP_BENCH_STEP_SECONDS
#     (60) each: the highest rate sustained (everything landed within 15 s);
#     the live load comes from stack/bench/ReplayProducer.java (the load
#     generator's events, replayed by Kafka's Java client), or with
#     LP_BENCH_GENERATOR=node from the generator's own kafkajs producer;
#   - paced: a backlog of rate x seconds events read at most rate x trigger
#     per micro-batch (no producer competing for the cores): whether the job
#     keeps the target for 5 minutes;
#   - ceiling: LP_BENCH_BACKLOG events (default 3000000) drained by the job;
#     references: ClickHouse's own Kafka table engine draining the same
#     backlog into a copy of the table (stack/bench/kafkaEngine.mjs), and
#     Kafka's ProducerPerformance (ratios in the results).
# LP_BENCH_PHASES=sustained,paced,ceiling (default all) picks phases; the
# others keep their previous results.
# Brings up the stack (it stays up). Writes bench/results/speed-layer.json.
source "$(dirname "$0")/lib.sh"
echo "bench: speed layer (Kafka -> Spark -> ClickHouse)" >&2
run_bench speed-layer plugins/scaffolder-backend-module-lambda-pipeline src/jobs/speedLayer.bench.ts 14400000
