# Sourced by every bench/*.sh: strict mode, the repository root as the working
# directory, the project's Node and the workspace's dependencies, and
# run_bench to run one benchmark file with Jest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/lib.sh
ensure_node
ensure_deps
mkdir -p bench/results

# run_bench RESULTS PACKAGE_DIR FILE TIMEOUT_MS [NODE_OPTIONS...]
# Runs the benchmark FILE of the package in PACKAGE_DIR (relative to the
# root), which writes its figures to bench/results/RESULTS.json.
run_bench() {
  local results="$1" package="$2" file="$3" timeout="$4"
  shift 4
  export LP_BENCH_OUT="$ROOT/bench/results/$results.json"
  cd "$ROOT/$package"
  CI=true NODE_OPTIONS="--experimental-vm-modules${*:+ $*}" yarn backstage-cli package test \
    --testMatch '**/*.bench.ts' --testTimeout "$timeout" "$file"
}
