{%- set p = values.plan -%}
#Requires -Version 7.0
# Deletes the kind cluster of the ${{ p.spec.metadata.name }} pipeline (and its volumes).
# -All also removes the local registry. The sealed-secrets key stays outside
# the cluster (scripts/up.ps1 keeps it), so the committed SealedSecrets still
# decrypt on the next cluster.
param([switch]$All)
$ErrorActionPreference = 'Stop'
$Cluster = '${{ p.spec.metadata.name }}'
if (-not (Get-Command kind -ErrorAction SilentlyContinue)) { throw 'kind is not installed' }
$ConfigHome = if ($env:XDG_CONFIG_HOME) { $env:XDG_CONFIG_HOME } elseif ($IsWindows) { $env:APPDATA } else { Join-Path $HOME '.config' }
$Keys = if ($env:LP_SEALING_KEY_DIR) { $env:LP_SEALING_KEY_DIR } else { Join-Path $ConfigHome "lambda-pipelines/$Cluster" }
if ((kind get clusters) -contains $Cluster) {
  if (-not (Test-Path (Join-Path $Keys 'sealed-secrets.key'))) {
    throw "the sealing key is not kept in $Keys yet; run scripts\up.ps1 once (it keeps it) before deleting the cluster"
  }
  kind delete cluster --name $Cluster
  if ($LASTEXITCODE -ne 0) { throw "kind delete cluster failed with exit code $LASTEXITCODE" }
} else {
  Write-Host "no kind cluster named $Cluster"
}
if ($All) {
  docker rm -f ${{ p.registry.container }} 2>$null | Out-Null
  Write-Host 'local registry removed'
}
