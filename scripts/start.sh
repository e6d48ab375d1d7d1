#!/usr/bin/env bash
# Sets everything up and starts the product with a live demo pipeline:
#   1. Node 22 and dependencies;
#   2. the local stack (PostgreSQL, Kafka, Kafka Connect with Debezium and the
#      Iceberg sink, ClickHouse, S3, the Snowflake emulator; Spark and dbt);
#   3. Backstage (app http://localhost:3000, backend http://localhost:7007)
#      monitoring the stack as environment "dev";
#   4. a pipeline created with the "Create pipeline" template (the real
#      scaffolder, signed in as guest) and run on the stack with a moderate
#      load (scripts/demo-pipeline.mjs; LP_DEMO_RATE, default 500 events/s).
# Ctrl-C stops Backstage and the demo pipeline; the stack keeps running
# (stack/lp-stack down stops it).
#
#   ./scripts/start.sh --backstage-only [args]   Backstage alone, as before:
#                                                no stack, no demo pipeline.
# Other arguments go to `yarn start` (for example --config files).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_deps
cd "$LP_ROOT"

if [[ "${1:-}" == "--backstage-only" ]]; then
  shift
  log "starting Backstage: app http://localhost:3000, backend http://localhost:7007"
  exec yarn start "$@"
fi

STACK_COMPONENTS=(postgres kafka connect clickhouse s3 snowflake spark dbt)
log "bringing up the local stack: ${STACK_COMPONENTS[*]} (first run installs them; cached afterwards)"
node stack/cli.mjs up "${STACK_COMPONENTS[@]}"

# The stack's connection settings as environment "dev" (local development
# credentials of the stack itself; the file is git-ignored).
stack_dir="${LP_STACK_DIR:-$LP_ROOT/.lp-stack}"
mkdir -p "$stack_dir"
stack_config="$stack_dir/app-config.stack.json"
node stack/cli.mjs env --app-config \
  --components "$(IFS=,; echo "${STACK_COMPONENTS[*]}")" >"$stack_config"
chmod 600 "$stack_config"

demo_name="${LP_DEMO_NAME:-demo}"
backstage_pid=""
cleanup() {
  trap - EXIT INT TERM
  log "stopping the demo pipeline '$demo_name' and Backstage"
  node stack/cli.mjs pipeline stop "$demo_name" >/dev/null 2>&1 || true
  [[ -n "$backstage_pid" ]] && kill -TERM -- "-$backstage_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

log "starting Backstage: app ${APP_CONFIG_app_baseUrl:-http://localhost:3000}, backend ${APP_CONFIG_backend_baseUrl:-http://localhost:7007}"
set -m
yarn start --config "$LP_ROOT/app-config.yaml" --config "$stack_config" "$@" &
backstage_pid=$!
set +m

node scripts/demo-pipeline.mjs --name "$demo_name" ||
  log "the demo pipeline did not start (see above); Backstage keeps running without it"
wait "$backstage_pid"
