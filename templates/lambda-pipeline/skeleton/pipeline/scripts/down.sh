#!/usr/bin/env sh
{%- set p = values.plan %}
# Deletes the kind cluster of the ${{ p.spec.metadata.name }} pipeline (and its volumes).
# The local registry keeps its images for the next `up`; pass --all to remove it too.
set -eu
CLUSTER=${{ p.spec.metadata.name }}
command -v kind >/dev/null 2>&1 || { echo 'error: kind is not installed' >&2; exit 1; }
if kind get clusters | grep -qx "$CLUSTER"; then
  kind delete cluster --name "$CLUSTER"
else
  echo "no kind cluster named $CLUSTER"
fi
if [ "${1:-}" = '--all' ]; then
  docker rm -f ${{ p.registry.container }} >/dev/null 2>&1 || true
  echo 'local registry removed'
fi
