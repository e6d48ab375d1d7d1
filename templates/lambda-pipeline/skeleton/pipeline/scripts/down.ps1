{%- set p = values.plan -%}
#Requires -Version 7.0
# Deletes the kind cluster of the ${{ p.spec.metadata.name }} pipeline (as scripts/down.sh). Its volumes'
# data stays in the host's data directory unless -DeleteData; -All also
# removes the local registry. The sealed-secrets key stays outside the cluster
# (scripts/up.ps1 keeps it), so the committed SealedSecrets still decrypt on
# the next cluster.
param([switch]$DeleteData, [switch]$All)
$ErrorActionPreference = 'Stop'
$Cluster = '${{ p.spec.metadata.name }}'
if (-not (Get-Command kind -ErrorAction SilentlyContinue)) { throw 'kind is not installed' }
$ConfigHome = if ($env:XDG_CONFIG_HOME) { $env:XDG_CONFIG_HOME } elseif ($IsWindows) { $env:APPDATA } else { Join-Path $HOME '.config' }
$Keys = if ($env:LP_SEALING_KEY_DIR) { $env:LP_SEALING_KEY_DIR } else { Join-Path $ConfigHome "lambda-pipelines/$Cluster" }
$DataHome = if ($env:XDG_DATA_HOME) { $env:XDG_DATA_HOME } elseif ($IsWindows) { $env:LOCALAPPDATA } else { Join-Path $HOME '.local/share' }
$DataDir = if ($env:LP_DATA_DIR) { $env:LP_DATA_DIR } else { Join-Path $DataHome "lambda-pipelines/$Cluster/volumes" }
if ((kind get clusters) -contains $Cluster) {
  if (-not (Test-Path (Join-Path $Keys 'sealed-secrets.key'))) {
    throw "the sealing key is not kept in $Keys yet; run scripts\up.ps1 once (it keeps it) before deleting the cluster"
  }
  if ($DeleteData) {
    # The files belong to the pods' users: remove them from inside the node.
    docker exec "$Cluster-control-plane" sh -c 'rm -rf ${{ p.volumes.nodePath }}/*'
    if ($LASTEXITCODE -ne 0) { throw "removing the volumes' data in the node failed with exit code $LASTEXITCODE" }
  }
  kind delete cluster --name $Cluster
  if ($LASTEXITCODE -ne 0) { throw "kind delete cluster failed with exit code $LASTEXITCODE" }
} else {
  Write-Host "no kind cluster named $Cluster"
}
if ($DeleteData) {
  if (Test-Path $DataDir) { Remove-Item -Recurse -Force $DataDir }
  Write-Host "volumes deleted ($DataDir)"
} else {
  Write-Host "volumes kept in $DataDir for the next scripts\up.ps1 (scripts\down.ps1 -DeleteData removes them)"
}
if ($All) {
  docker rm -f ${{ p.registry.container }} 2>$null | Out-Null
  Write-Host 'local registry removed'
}
