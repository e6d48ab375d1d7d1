#!/usr/bin/env bash
# Benchmark: lambda:kubernetes:deploy of one rendered pipeline against the
# stack's real Kubernetes API server, next to kubectl apply --server-side of
# the same objects in the same run. Usage:
#   bench/deploy-pipeline.sh [rounds]      (default 3)
# Brings up the stack's kubernetes and registry components (they stay up).
# Writes bench/results/deploy-pipeline.json and prints it.
source "$(dirname "$0")/lib.sh"
export LP_BENCH_ROUNDS="${1:-3}"
echo "bench: deploy one pipeline vs kubectl apply --server-side, ${LP_BENCH_ROUNDS} rounds (+1 warm-up)" >&2
run_bench deploy-pipeline plugins/scaffolder-backend-module-lambda-pipeline src/deploy/deployPipeline.bench.ts 3600000
