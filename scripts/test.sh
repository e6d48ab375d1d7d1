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
ensure_debian_package /usr/bin/faketime faketime "the shifted-clock test runs"
ensure_debian_package /usr/bin/shellcheck shellcheck "the generated deploy scripts' checks"

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
  # The stack's containers are the tests' own and never outlive a run: remove
  # any a failed test left, and their cgroups.
  node stack/cli.mjs down podman || true
}
trap stop_started_components EXIT
export CI=true

# The unit suites of the frontend and the backend once more, on a clock and in
# a time zone other than the machine's: no test may depend on the day, the
# time of day or the zone it runs at. libfaketime shifts the wall clock of
# every process of the run (-m: Node is multi-threaded) and leaves the
# monotonic clock alone, so timers keep their real pace.
unit_suites_at() {
  local tz="$1"
  shift
  local package
  log "the suites' clock: $(TZ="$tz" faketime -m --exclude-monotonic "$@" node -e 'console.log(new Date().toString())')"
  for package in plugins/lambda-pipeline packages/app plugins/lambda-pipeline-backend; do
    (cd "$package" && TZ="$tz" faketime -m --exclude-monotonic "$@" \
      env NODE_OPTIONS=--experimental-vm-modules yarn backstage-cli package test \
      --silent --testPathIgnorePatterns /node_modules/ '/src/e2e/' '\.live\.test\.') || return 1
  done
}
step "Backstage release line (one version of every @backstage package)" node scripts/check-backstage-line.mjs
step "lint" yarn backstage-cli repo lint
step "formatting (prettier)" yarn prettier --check .
step "type-check" yarn tsc
step "frontend and backend unit tests a year ahead, in India's time zone (UTC+05:30)" \
  unit_suites_at Asia/Kolkata -f +365d
step "frontend and backend unit tests across midnight on 31 December, in New Zealand (UTC+13)" \
  unit_suites_at Pacific/Auckland '2027-12-31 23:58:30'
step "package and integration tests (brings up the local stack)" yarn test
step "start command end to end: the app, a demo pipeline created with the template and run on the stack, fault tests" node scripts/smoke-start.mjs
step "end-to-end: the pipeline tab in a browser on a live pipeline" \
  yarn workspace @internal/backstage-plugin-lambda-pipeline-backend test:e2e
log "all steps passed"
