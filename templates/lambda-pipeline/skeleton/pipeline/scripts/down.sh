#!/usr/bin/env sh
{%- set p = values.plan %}
# Deletes the kind cluster of the ${{ p.spec.metadata.name }} pipeline (and its volumes).
# The local registry keeps its images for the next `up`; pass --all to remove it too.
# The sealed-secrets key stays outside the cluster (scripts/up.sh keeps it),
# so the committed SealedSecrets still decrypt on the next cluster.
set -eu
CLUSTER=${{ p.spec.metadata.name }}
KEYS=${LP_SEALING_KEY_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/lambda-pipelines/$CLUSTER}
command -v kind >/dev/null 2>&1 || { echo 'error: kind is not installed' >&2; exit 1; }
if kind get clusters | grep -qx "$CLUSTER"; then
  if [ ! -f "$KEYS/sealed-secrets.key" ]; then
    echo "error: the sealing key is not kept in $KEYS yet; run scripts/up.sh once (it keeps it) before deleting the cluster" >&2
    exit 1
  fi
  kind delete cluster --name "$CLUSTER"
else
  echo "no kind cluster named $CLUSTER"
fi
if [ "${1:-}" = '--all' ]; then
  docker rm -f ${{ p.registry.container }} >/dev/null 2>&1 || true
  echo 'local registry removed'
fi
