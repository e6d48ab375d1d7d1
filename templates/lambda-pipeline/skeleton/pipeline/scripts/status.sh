#!/usr/bin/env sh
{%- set p = values.plan %}
# Shows the state of every part of the ${{ p.spec.metadata.name }} pipeline: Strimzi resources with
# their Ready condition, Spark applications, pods, and the connectors' tasks.
set -eu
NAMESPACE=${{ p.namespace }}
command -v kubectl >/dev/null 2>&1 || { echo 'error: kubectl is not installed' >&2; exit 1; }
echo '--- Kafka, Connect, connectors, topics'
kubectl -n "$NAMESPACE" get kafka,kafkanodepool,kafkaconnect,kafkaconnector,kafkatopic
echo '--- Spark applications'
kubectl -n "$NAMESPACE" get sparkapplications
echo '--- Pods (not running first)'
kubectl -n "$NAMESPACE" get pods --sort-by=.status.phase
echo '--- Connector tasks'
for connector in ${{ p.names.cdcConnector }} ${{ p.names.lakeSinkConnector }}; do
  kubectl -n "$NAMESPACE" get kafkaconnector "$connector" \
    -o jsonpath='{.metadata.name}{": "}{.status.connectorStatus.connector.state}{" tasks="}{.status.connectorStatus.tasks[*].state}{"\n"}' 2>/dev/null || true
done
