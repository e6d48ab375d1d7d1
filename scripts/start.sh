#!/usr/bin/env bash
# Sets everything up (Node 22, dependencies) and starts Backstage with the
# Lambda pipelines plugins: the app on http://localhost:3000 and the backend on
# http://localhost:7007. Ctrl-C stops both.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_deps
log "starting Backstage: app http://localhost:3000, backend http://localhost:7007"
exec yarn start "$@"
