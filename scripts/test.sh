#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: lint, type-check, the
# Backstage release-line check, every package's tests, the start command end
# to end (its demo pipeline through both layers, with fault tests) and the
# browser end-to-end test of the pipeline tab. Prints progress for each step; fails on the first failing step.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step() {
  local name="$1"
  shift
  log "▶ $name"
  local started=$SECONDS
  "$@" || die "step failed: $name"
  log "✔ $name ($((SECONDS - started)) s)"
}

ensure_deps
ensure_chromium

# The integration tests bring the local stack up (Jest global setup). Stop
# afterwards whatever this run started; leave alone what was already running.
# LP_KEEP_STACK=1 keeps everything up for a faster next run.
already_up="$(node stack/cli.mjs status | awk '$2 == "up" {print $1}' | tr '\n' ' ')"
stop_started_components() {
  [[ "${LP_KEEP_STACK:-}" == "1" ]] && return 0
  local started=()
  for component in $(node stack/cli.mjs status | awk 'NR > 1 && $2 != "stopped" && $2 != "installed" && $2 != "not-installed" {print $1}'); do
    [[ " $already_up " == *" $component "* ]] || started+=("$component")
  done
  if ((${#started[@]} > 0)); then
    log "stopping the stack components this run started: ${started[*]}"
    node stack/cli.mjs down "${started[@]}" || true
  fi
}
trap stop_started_components EXIT
export CI=true
step "Backstage release line (one version of every @backstage package)" node scripts/check-backstage-line.mjs
step "lint" yarn backstage-cli repo lint
step "formatting (prettier)" yarn prettier --check .
step "type-check" yarn tsc
step "package and integration tests (brings up the local stack)" yarn test
step "start command end to end: the app, a demo pipeline created with the template and run on the stack, fault tests" node scripts/smoke-start.mjs
step "end-to-end: the pipeline tab in a browser on a live pipeline" \
  yarn workspace @internal/backstage-plugin-lambda-pipeline-backend test:e2e
log "all steps passed"
