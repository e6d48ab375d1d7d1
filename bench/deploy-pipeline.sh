#!/usr/bin/env bash
# Benchmark: lambda:kubernetes:deploy of one rendered pipeline against the
# stack's real Kubernetes API server, next to kubectl apply --server-side of
# the same objects in the same run. Usage:
#   bench/deploy-pipeline.sh [rounds]      (default 3)
# Brings up the stack's kubernetes and registry components (they stay up).
# Writes bench/results/deploy-pipeline.json and prints it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/lib.sh
ensure_node
ensure_deps
mkdir -p bench/results
export LP_BENCH_ROUNDS="${1:-3}"
export LP_BENCH_OUT="$ROOT/bench/results/deploy-pipeline.json"
cd plugins/scaffolder-backend-module-lambda-pipeline
echo "bench: deploy one pipeline vs kubectl apply --server-side, ${LP_BENCH_ROUNDS} rounds (+1 warm-up)" >&2
CI=true NODE_OPTIONS=--experimental-vm-modules yarn backstage-cli package test \
  --testMatch '**/*.bench.ts' --testTimeout 3600000 src/deploy/deployPipeline.bench.ts
