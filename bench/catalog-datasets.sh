#!/usr/bin/env bash
# Benchmark of the dataset catalog (catalog-backend-module-lambda-pipeline):
# 10,000 topics and tables across Kafka, ClickHouse, the Snowflake emulator
# and an Iceberg JDBC catalog, ingested into a running catalog whose database
# is the stack's PostgreSQL; reference: the same entities from a YAML file.
# Usage:  bench/catalog-datasets.sh
#   LP_BENCH_TOPICS / _CLICKHOUSE / _SNOWFLAKE / _ICEBERG  change the counts
#   LP_BENCH_KEEP=1  keeps the topics and tables for a faster next run
# Brings up the stack components it needs (they stay up). Writes
# bench/results/catalog-datasets.json and prints it. About 15 minutes on 2 cores.
source "$(dirname "$0")/lib.sh"
echo "bench: dataset catalog, 10,000 topics and tables (first full ingestion, memory, YAML reference)" >&2
run_bench catalog-datasets plugins/catalog-backend-module-lambda-pipeline bench/datasets.bench.ts 7200000 --expose-gc
