{%- set p = values.plan -%}
#Requires -Version 7.0
# Seals the pipeline's credentials with kubeseal (same layout as scripts/seal-secrets.sh):
# one sub-directory per Secret under -Source, one file per key, kept OUTSIDE this repository.
param([Parameter(Mandatory = $true)][string]$Source)
$ErrorActionPreference = 'Stop'
$Namespace = '${{ p.namespace }}'
$ConfigHome = if ($env:XDG_CONFIG_HOME) { $env:XDG_CONFIG_HOME } elseif ($IsWindows) { $env:APPDATA } else { Join-Path $HOME '.config' }
$Keys = if ($env:LP_SEALING_KEY_DIR) { $env:LP_SEALING_KEY_DIR } else { Join-Path $ConfigHome 'lambda-pipelines/${{ p.spec.metadata.name }}' }
$Cert = Join-Path $Keys 'sealed-secrets.crt'
# Seals with the certificate scripts/up.ps1 kept (no cluster needed), else with the running controller's.
$kubesealArgs = if (Test-Path $Cert) { @('--cert', $Cert) } else { @('--controller-namespace', 'kube-system', '--controller-name', 'sealed-secrets') }
$Out = Join-Path (Split-Path -Parent $PSScriptRoot) 'deploy/overlays/kind/sealed-secrets'
if (-not (Get-Command kubeseal -ErrorAction SilentlyContinue)) { throw 'kubeseal is not installed (README.md, Prerequisites)' }
# Airflow's metadata database credentials and keys, generated when absent
# (as seal-secrets.sh does): username, random password, the connection to the
# database the in-cluster PostgreSQL creates; a connection you wrote is kept.
$airflowDb = Join-Path $Source '${{ p.spec.spec.secrets.airflowDatabase }}'
New-Item -ItemType Directory -Force -Path $airflowDb | Out-Null
function Get-RandomHex([int]$Bytes) { [Convert]::ToHexString([Security.Cryptography.RandomNumberGenerator]::GetBytes($Bytes)).ToLowerInvariant() }
function Set-Missing([string]$Key, [string]$Value) {
  $file = Join-Path $airflowDb $Key
  if (-not (Test-Path $file) -or (Get-Item $file).Length -eq 0) { [IO.File]::WriteAllText($file, $Value) }
}
Set-Missing 'username' 'airflow'
Set-Missing 'password' (Get-RandomHex 24)
Set-Missing 'fernet-key' ([Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(32)).Replace('+', '-').Replace('/', '_'))
Set-Missing 'api-secret-key' (Get-RandomHex 32)
Set-Missing 'jwt-secret' (Get-RandomHex 32)
$dbUser = [IO.File]::ReadAllText((Join-Path $airflowDb 'username'))
$dbPassword = [IO.File]::ReadAllText((Join-Path $airflowDb 'password'))
if (-not (Test-Path (Join-Path $airflowDb 'connection'))) {
  if ("$dbUser$dbPassword" -notmatch '^[A-Za-z0-9._~-]+$') { throw "$airflowDb/username and password may hold only letters, digits and . _ ~ - (they go into the connection URL); or write the connection yourself" }
  Set-Missing 'connection' "postgresql://${dbUser}:${dbPassword}@${{ p.airflow.metadataDatabase.host }}:${{ p.airflow.metadataDatabase.port }}/${{ p.airflow.metadataDatabase.name }}"
}
$resources = @()
foreach ($name in '${{ p.spec.spec.secrets.postgres }}', '${{ p.spec.spec.secrets.clickhouse }}', '${{ p.spec.spec.secrets.s3 }}', '${{ p.spec.spec.secrets.snowflake }}', '${{ p.spec.spec.secrets.gitSync }}', '${{ p.spec.spec.secrets.airflowDatabase }}') {
  $dir = Join-Path $Source $name
  if (-not (Test-Path $dir)) { Write-Host "skipping ${name}: no directory $dir"; continue }
  $target = Join-Path $Out "$name.sealedsecret.yaml"
  kubectl create secret generic $name --namespace $Namespace --from-file=$dir --dry-run=client -o yaml |
    kubeseal @kubesealArgs --format yaml |
    Set-Content -Encoding utf8 $target
  if ($LASTEXITCODE -ne 0) { throw "sealing $name failed" }
  $resources += "  - $name.sealedsecret.yaml"
}
$header = "apiVersion: kustomize.config.k8s.io/v1alpha1`nkind: Component`nresources:`n"
Set-Content -Encoding utf8 (Join-Path $Out 'kustomization.yaml') ($header + ($resources -join "`n") + "`n")
Write-Host "sealed secrets written to $Out"
