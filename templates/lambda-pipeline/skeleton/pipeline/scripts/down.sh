#!/usr/bin/env sh
{%- set p = values.plan %}
# Deletes the kind cluster of the ${{ p.spec.metadata.name }} pipeline. Its volumes' data stays in the
# host's data directory for the next `up` unless --delete-data; the local
# registry keeps its images unless --all. The sealed-secrets key stays outside
# the cluster (scripts/up.sh keeps it), so the committed SealedSecrets still
# decrypt on the next cluster.
# Usage: scripts/down.sh [--delete-data] [--all]
set -eu
CLUSTER=${{ p.spec.metadata.name }}
KEYS=${LP_SEALING_KEY_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/lambda-pipelines/$CLUSTER}
DATA_DIR=${LP_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/lambda-pipelines/$CLUSTER/volumes}
delete_data=false
all=false
for arg in "$@"; do
  case "$arg" in
    --delete-data) delete_data=true ;;
    --all) all=true ;;
    *) echo "error: unknown option $arg (usage: scripts/down.sh [--delete-data] [--all])" >&2; exit 2 ;;
  esac
done
command -v kind >/dev/null 2>&1 || { echo 'error: kind is not installed' >&2; exit 1; }
if kind get clusters | grep -qx "$CLUSTER"; then
  if [ ! -f "$KEYS/sealed-secrets.key" ]; then
    echo "error: the sealing key is not kept in $KEYS yet; run scripts/up.sh once (it keeps it) before deleting the cluster" >&2
    exit 1
  fi
  if [ "$delete_data" = true ]; then
    # The files belong to the pods' users: remove them from inside the node,
    # where that is allowed, while it still runs.
    docker exec "${CLUSTER}-control-plane" sh -c 'rm -rf ${{ p.volumes.nodePath }}/*'
  fi
  kind delete cluster --name "$CLUSTER"
else
  echo "no kind cluster named $CLUSTER"
fi
if [ "$delete_data" = true ]; then
  rm -rf "$DATA_DIR" || { echo "error: could not remove $DATA_DIR (files of the pods' users): remove it as their owner or root" >&2; exit 1; }
  echo "volumes deleted ($DATA_DIR)"
else
  echo "volumes kept in $DATA_DIR for the next scripts/up.sh (scripts/down.sh --delete-data removes them)"
fi
if [ "$all" = true ]; then
  docker rm -f ${{ p.registry.container }} >/dev/null 2>&1 || true
  echo 'local registry removed'
fi
