{%- set p = values.plan -%}
#Requires -Version 7.0
# Shows the state of every part of the ${{ p.spec.metadata.name }} pipeline (same as scripts/status.sh).
$ErrorActionPreference = 'Stop'
$Namespace = '${{ p.namespace }}'
if (-not (Get-Command kubectl -ErrorAction SilentlyContinue)) { throw 'kubectl is not installed' }
Write-Host '--- Kafka, Connect, connectors, topics'
kubectl -n $Namespace get kafka,kafkanodepool,kafkaconnect,kafkaconnector,kafkatopic
Write-Host '--- Spark applications'
kubectl -n $Namespace get sparkapplications
Write-Host '--- Pods (not running first)'
kubectl -n $Namespace get pods --sort-by=.status.phase
Write-Host '--- Connector tasks'
foreach ($connector in '${{ p.names.cdcConnector }}', '${{ p.names.lakeSinkConnector }}') {
  kubectl -n $Namespace get kafkaconnector $connector -o jsonpath='{.metadata.name}{": "}{.status.connectorStatus.connector.state}{" tasks="}{.status.connectorStatus.tasks[*].state}{"\n"}'
}
