#!/usr/bin/env bash
# Benchmark: time to plan, render (through the real scaffolder) and validate
# one pipeline, with same-run references. Usage:
#   bench/render-pipeline.sh [rounds]      (default 5)
# Writes bench/results/render-pipeline.json and prints it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/lib.sh
ensure_node
ensure_deps
mkdir -p bench/results
export LP_BENCH_ROUNDS="${1:-5}"
export LP_BENCH_OUT="$ROOT/bench/results/render-pipeline.json"
cd plugins/scaffolder-backend-module-lambda-pipeline
echo "bench: plan + render + validate one pipeline, ${LP_BENCH_ROUNDS} rounds (+1 warm-up)" >&2
CI=true NODE_OPTIONS=--experimental-vm-modules yarn backstage-cli package test \
  --testMatch '**/*.bench.ts' --testTimeout 1800000 src/template/renderPipeline.bench.ts
