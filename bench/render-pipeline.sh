#!/usr/bin/env bash
# Benchmark: time to plan, render (through the real scaffolder) and validate
# one pipeline, with same-run references. Usage:
#   bench/render-pipeline.sh [rounds]      (default 5)
# Writes bench/results/render-pipeline.json and prints it.
source "$(dirname "$0")/lib.sh"
export LP_BENCH_ROUNDS="${1:-5}"
echo "bench: plan + render + validate one pipeline, ${LP_BENCH_ROUNDS} rounds (+1 warm-up)" >&2
run_bench render-pipeline plugins/scaffolder-backend-module-lambda-pipeline src/template/renderPipeline.bench.ts 1800000
