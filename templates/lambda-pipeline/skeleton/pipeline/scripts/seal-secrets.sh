#!/usr/bin/env sh
{%- set p = values.plan %}
# Seals the pipeline's credentials for this cluster (sealed-secrets) and adds
# them to deploy/overlays/kind/sealed-secrets. Values are read from files in a
# directory you keep OUTSIDE this repository, one file per key:
#   ${{ p.spec.spec.secrets.postgres }}/{username,password,replication-username,replication-password}
#   ${{ p.spec.spec.secrets.clickhouse }}/{username,password}
#   ${{ p.spec.spec.secrets.s3 }}/{access-key-id,secret-access-key}
#   ${{ p.spec.spec.secrets.snowflake }}/{private-key,private-key-passphrase}
#   ${{ p.spec.spec.secrets.gitSync }}/{GITSYNC_USERNAME,GITSYNC_PASSWORD}   (https DAG repos; omit for file://)
#   ${{ p.spec.spec.secrets.airflowDatabase }}/{username,password,connection,fernet-key,api-secret-key,jwt-secret}
#     Any of these missing is generated into that directory (kept there, so
#     sealing again seals the same values): username `airflow`, a random
#     password, the connection to the database the in-cluster PostgreSQL
#     creates for them (${{ p.airflow.metadataDatabase.name }}), random keys. A `connection` you write
#     yourself (an external database) is kept.
# Usage: scripts/seal-secrets.sh /path/to/secret-files
# Only the encrypted SealedSecrets are written here; commit them.
# Seals with the certificate scripts/up.sh kept (no cluster needed), else
# with the running controller's.
set -eu
SOURCE=${1:?usage: scripts/seal-secrets.sh <directory with one sub-directory per Secret>}
NAMESPACE=${{ p.namespace }}
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
OUT="$ROOT/deploy/overlays/kind/sealed-secrets"
KEYS=${LP_SEALING_KEY_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/lambda-pipelines/${{ p.spec.metadata.name }}}
if [ -f "$KEYS/sealed-secrets.crt" ]; then
  set -- --cert "$KEYS/sealed-secrets.crt"
else
  set -- --controller-namespace kube-system --controller-name sealed-secrets
fi
command -v kubeseal >/dev/null 2>&1 || { echo 'error: kubeseal is not installed (README.md, Prerequisites)' >&2; exit 1; }

# Airflow's metadata database credentials and keys, generated when absent.
AIRFLOW_DB="$SOURCE/${{ p.spec.spec.secrets.airflowDatabase }}"
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
(
  umask 077
  mkdir -p "$AIRFLOW_DB"
  [ -s "$AIRFLOW_DB/username" ] || printf 'airflow' >"$AIRFLOW_DB/username"
  [ -s "$AIRFLOW_DB/password" ] || random_hex 24 >"$AIRFLOW_DB/password"
  [ -s "$AIRFLOW_DB/fernet-key" ] || head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n' >"$AIRFLOW_DB/fernet-key"
  [ -s "$AIRFLOW_DB/api-secret-key" ] || random_hex 32 >"$AIRFLOW_DB/api-secret-key"
  [ -s "$AIRFLOW_DB/jwt-secret" ] || random_hex 32 >"$AIRFLOW_DB/jwt-secret"
  if [ ! -s "$AIRFLOW_DB/connection" ]; then
    user=$(cat "$AIRFLOW_DB/username")
    password=$(cat "$AIRFLOW_DB/password")
    case "$user$password" in
      *[!A-Za-z0-9._~-]*)
        echo "error: $AIRFLOW_DB/username and password may hold only letters, digits and . _ ~ - (they go into the connection URL); or write the connection yourself" >&2
        exit 1 ;;
    esac
    printf 'postgresql://%s:%s@${{ p.airflow.metadataDatabase.host }}:${{ p.airflow.metadataDatabase.port }}/${{ p.airflow.metadataDatabase.name }}' "$user" "$password" >"$AIRFLOW_DB/connection"
  fi
)

resources=''
for name in ${{ p.spec.spec.secrets.postgres }} ${{ p.spec.spec.secrets.clickhouse }} ${{ p.spec.spec.secrets.s3 }} ${{ p.spec.spec.secrets.snowflake }} ${{ p.spec.spec.secrets.gitSync }} ${{ p.spec.spec.secrets.airflowDatabase }}; do
  if [ ! -d "$SOURCE/$name" ]; then
    echo "skipping $name: no directory $SOURCE/$name"
    continue
  fi
  # --from-file reads each file as one key; the plain Secret only ever
  # exists in this pipe.
  kubectl create secret generic "$name" --namespace "$NAMESPACE" \
    --from-file="$SOURCE/$name" --dry-run=client -o yaml |
    kubeseal "$@" --format yaml \
    > "$OUT/$name.sealedsecret.yaml"
  resources="$resources  - $name.sealedsecret.yaml
"
done
printf 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n%s' "$resources" > "$OUT/kustomization.yaml"
echo "sealed secrets written to $OUT"
