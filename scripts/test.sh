#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: lint, type-check, the
# Backstage release-line check, every package's tests and a smoke test of the
# start command. Prints progress for each step; fails on the first failing step.
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
export CI=true
step "Backstage release line (one version of every @backstage package)" node scripts/check-backstage-line.mjs
step "lint" yarn backstage-cli repo lint
step "formatting (prettier)" yarn prettier --check .
step "type-check" yarn tsc
step "package tests" yarn test
step "start command smoke test" node scripts/smoke-start.mjs
log "all steps passed"
