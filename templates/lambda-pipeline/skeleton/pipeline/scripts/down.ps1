{%- set p = values.plan -%}
#Requires -Version 7.0
# Deletes the kind cluster of the ${{ p.spec.metadata.name }} pipeline (and its volumes).
# -All also removes the local registry.
param([switch]$All)
$ErrorActionPreference = 'Stop'
$Cluster = '${{ p.spec.metadata.name }}'
if (-not (Get-Command kind -ErrorAction SilentlyContinue)) { throw 'kind is not installed' }
if ((kind get clusters) -contains $Cluster) {
  kind delete cluster --name $Cluster
  if ($LASTEXITCODE -ne 0) { throw "kind delete cluster failed with exit code $LASTEXITCODE" }
} else {
  Write-Host "no kind cluster named $Cluster"
}
if ($All) {
  docker rm -f ${{ p.registry.container }} 2>$null | Out-Null
  Write-Host 'local registry removed'
}
