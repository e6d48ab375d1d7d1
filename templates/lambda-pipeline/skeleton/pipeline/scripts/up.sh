#!/usr/bin/env sh
{%- set p = values.plan %}
# Brings the ${{ p.spec.metadata.name }} pipeline up on kind: local registry, cluster,
# operators (pinned chart versions), the pipeline's manifests, then Airflow.
# Idempotent: run it again after a change. Windows: scripts\up.ps1.
set -eu

CLUSTER=${{ p.spec.metadata.name }}
NAMESPACE=${{ p.namespace }}
REGISTRY_NAME=${{ p.registry.container }}
REGISTRY_PORT=${{ p.registry.hostPort }}
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
# The sealed-secrets key of this pipeline's clusters, kept outside the
# repository (and outside the cluster, which down.sh deletes): the committed
# SealedSecrets decrypt only with it.
KEYS=${LP_SEALING_KEY_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/lambda-pipelines/$CLUSTER}
# The pipeline's volumes, on the host (kind/cluster.yaml mounts it into the
# node): they outlive the cluster; scripts/down.sh --delete-data removes them.
DATA_DIR=${LP_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/lambda-pipelines/$CLUSTER/volumes}

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (see README.md, 'Prerequisites')"
done

step "Local registry ${REGISTRY_NAME} on 127.0.0.1:${REGISTRY_PORT}"
if [ "$(docker inspect -f '{{.State.Running}}' "$REGISTRY_NAME" 2>/dev/null || true)" != 'true' ]; then
  docker run -d --restart=always -p "127.0.0.1:${REGISTRY_PORT}:5000" --network bridge \
    --name "$REGISTRY_NAME" ${{ p.versions.registry.source }}:${{ p.versions.registry.version }}
fi

step "kind cluster ${CLUSTER} (volumes in $DATA_DIR)"
if ! kind get clusters | grep -qx "$CLUSTER"; then
  mkdir -p "$DATA_DIR" "$ROOT/.build"
  # kind takes no variables: the config with the data directory filled in.
  sed "s|hostPath: LP_DATA_DIR\$|hostPath: $DATA_DIR|" "$ROOT/kind/cluster.yaml" >"$ROOT/.build/kind-cluster.yaml"
  kind create cluster --config "$ROOT/.build/kind-cluster.yaml" --wait 120s
fi
# One directory per volume, writable by every pod's user (as kind's own
# local-path provisioner makes them): PostgreSQL, ClickHouse, Kafka and
# Airflow run as different users.
docker exec "${CLUSTER}-control-plane" sh -c 'cd ${{ p.volumes.nodePath }} && mkdir -p{% for key, c in p.volumes.claims %} ${{ c.dir }}{% endfor %} && chmod 0777{% for key, c in p.volumes.claims %} ${{ c.dir }}{% endfor %}'
# containerd on the node pulls from the registry under both of its names:
# ${{ p.registry.cluster }}, which the manifests and Strimzi's Connect build use,
# and ${{ p.registry.host }} (kind's recipe); both over plain HTTP.
docker network connect kind "$REGISTRY_NAME" 2>/dev/null || true
for registry in "${{ p.registry.cluster }}" "${{ p.registry.host }}"; do
  docker exec "${CLUSTER}-control-plane" mkdir -p "/etc/containerd/certs.d/${registry}"
  printf '[host."http://%s:5000"]\n' "$REGISTRY_NAME" | \
    docker exec -i "${CLUSTER}-control-plane" cp /dev/stdin "/etc/containerd/certs.d/${registry}/hosts.toml"
done
kubectl apply --server-side -f "$ROOT/kind/local-registry-hosting.yaml"

step "CRDs (deploy/crds: the pinned operators' CRDs; Helm leaves existing CRDs alone)"
kubectl apply --server-side --field-manager=lambda-pipelines -k "$ROOT/deploy/crds"
kubectl wait --for=condition=Established --timeout=120s -k "$ROOT/deploy/crds"

step "Sealed Secrets controller (its key: $KEYS)"
# A key kept from an earlier cluster goes in before the controller starts,
# which then decrypts with it instead of making a new one.
if [ -f "$KEYS/sealed-secrets.key" ] &&
  [ -z "$(kubectl -n kube-system get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o name)" ]; then
  kubectl -n kube-system create secret tls sealed-secrets-key-restored \
    --cert="$KEYS/sealed-secrets.crt" --key="$KEYS/sealed-secrets.key"
  kubectl -n kube-system label secret sealed-secrets-key-restored sealedsecrets.bitnami.com/sealed-secrets-key=active
fi
helm upgrade --install sealed-secrets sealed-secrets --repo ${{ p.versions.sealedSecrets.source }} \
  --version ${{ p.versions.sealedSecrets.version }} --namespace kube-system \
  -f "$ROOT/helm/sealed-secrets.values.yaml" --wait
if [ ! -f "$KEYS/sealed-secrets.key" ]; then
  # The first cluster: keep its key (and certificate, for sealing offline).
  mkdir -p "$KEYS"
  chmod 700 "$KEYS"
  key_secret=$(kubectl -n kube-system get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o name | head -n 1)
  (
    umask 077
    kubectl -n kube-system get "$key_secret" -o jsonpath='{.data.tls\.key}' | base64 -d >"$KEYS/sealed-secrets.key"
    kubectl -n kube-system get "$key_secret" -o jsonpath='{.data.tls\.crt}' | base64 -d >"$KEYS/sealed-secrets.crt"
  )
  echo "sealing key kept in $KEYS (back it up: the committed SealedSecrets decrypt only with it)"
fi
# Secrets come from sealed-secrets (or External Secrets); stop here, with the
# controller up, rather than start pods that cannot authenticate.
if ! grep -q 'sealedsecret' "$ROOT/deploy/overlays/kind/sealed-secrets/kustomization.yaml" 2>/dev/null; then
  fail "no sealed secrets yet: run scripts/seal-secrets.sh <directory> now (the controller is up), then scripts/up.sh again (README.md, 'Secrets')"
fi

step "Operators"
kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply --server-side -f -
helm upgrade --install strimzi ${{ p.versions.strimzi.source }} \
  --version ${{ p.versions.strimzi.version }} --namespace "$NAMESPACE" \
  -f "$ROOT/helm/strimzi.values.yaml" --wait
helm upgrade --install spark-operator spark-operator --repo ${{ p.versions.sparkOperator.source }} \
  --version ${{ p.versions.sparkOperator.version }} --namespace "$NAMESPACE" \
  -f "$ROOT/helm/spark-operator.values.yaml" --wait
helm upgrade --install monitoring kube-prometheus-stack --repo ${{ p.versions.kubePrometheusStack.source }} \
  --version ${{ p.versions.kubePrometheusStack.version }} --namespace "$NAMESPACE" \
  -f "$ROOT/helm/kube-prometheus-stack.values.yaml" --wait

step "Spark image (images/spark/Dockerfile)"
# Built from the repository's root and tagged by its content (the image ID):
# a change to the jobs, the jars or the Dockerfile makes a new tag, which the
# manifests below get; an unchanged image is a cache hit with the same tag.
mkdir -p "$ROOT/.build/apply"
docker build -f "$ROOT/images/spark/Dockerfile" --iidfile "$ROOT/.build/spark.iid" "$ROOT"
SPARK_TAG=$(sed 's/^sha256://' "$ROOT/.build/spark.iid" | cut -c1-16)
docker tag "$(cat "$ROOT/.build/spark.iid")" "${{ p.registry.host }}/${{ p.sparkImage.repository }}:$SPARK_TAG"
docker push "${{ p.registry.host }}/${{ p.sparkImage.repository }}:$SPARK_TAG"

step "dbt image (images/dbt/Dockerfile), under the tag the DAG repository's pipeline.json names"
DBT_IMAGE="${{ p.registry.host }}/${{ p.dbtImage.repository }}:${{ p.dbtImage.tag }}"
docker build -f "$ROOT/images/dbt/Dockerfile" -t "$DBT_IMAGE" "$ROOT"
docker push "$DBT_IMAGE"

step "Pipeline manifests (kustomize overlay deploy/overlays/kind-cluster, Spark image $SPARK_TAG)"
# The overlay as committed, with the image just pushed (.build/ is git-ignored).
cat >"$ROOT/.build/apply/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../deploy/overlays/kind-cluster
images:
  - name: ${{ p.registry.cluster }}/${{ p.sparkImage.repository }}
    newTag: '$SPARK_TAG'
EOF
kubectl apply --server-side --field-manager=lambda-pipelines -k "$ROOT/.build/apply"

step "Waiting for Kafka, Kafka Connect and PostgreSQL"
kubectl -n "$NAMESPACE" wait kafka/${{ p.names.kafkaCluster }} --for=condition=Ready --timeout=600s
kubectl -n "$NAMESPACE" rollout status statefulset/postgres --timeout=300s
kubectl -n "$NAMESPACE" rollout status statefulset/clickhouse --timeout=300s
# The first Connect start builds its image (Debezium + lake sink) and pushes it
# to the local registry: allow time for the Maven downloads.
kubectl -n "$NAMESPACE" wait kafkaconnect/${{ p.names.kafkaConnect }} --for=condition=Ready --timeout=1200s

step "Airflow (chart ${{ p.versions.airflowChart.version }}, DAGs from git-sync)"
# The admin's password: generated once into the Secret airflow-admin (read it
# with: kubectl -n $NAMESPACE get secret airflow-admin -o jsonpath='{.data.password}' | base64 -d).
if ! kubectl -n "$NAMESPACE" get secret airflow-admin >/dev/null 2>&1; then
  kubectl -n "$NAMESPACE" create secret generic airflow-admin \
    --from-literal=password="$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24)" >/dev/null
fi
ADMIN_PASSWORD=$(kubectl -n "$NAMESPACE" get secret airflow-admin -o jsonpath='{.data.password}' | base64 -d)
# --wait is safe: the chart's migration and user jobs are plain Jobs here
# (useHelmHooks: false in helm/airflow.values.yaml), not post-install hooks.
helm upgrade --install ${{ p.airflow.release }} airflow --repo https://airflow.apache.org \
  --version ${{ p.versions.airflowChart.version }} --namespace "$NAMESPACE" \
  -f "$ROOT/helm/airflow.values.yaml" \
  --set-string "createUserJob.defaultUser.password=$ADMIN_PASSWORD" \
  --timeout 15m --wait

step "Done"
"$ROOT/scripts/status.sh"
