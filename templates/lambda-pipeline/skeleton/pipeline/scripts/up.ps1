{%- set p = values.plan -%}
#Requires -Version 7.0
# Brings the ${{ p.spec.metadata.name }} pipeline up on kind (PowerShell 7 or later: Windows PowerShell 5.1 turns a native command's stderr into a terminating error).
# Same steps as scripts/up.sh: local registry, cluster, operators, manifests, Airflow.
$ErrorActionPreference = 'Stop'
$Cluster = '${{ p.spec.metadata.name }}'
$Namespace = '${{ p.namespace }}'
$RegistryName = '${{ p.registry.container }}'
$RegistryPort = ${{ p.registry.hostPort }}
$Root = Split-Path -Parent $PSScriptRoot
# The sealed-secrets key of this pipeline's clusters, kept outside the
# repository and the cluster (see up.sh).
$ConfigHome = if ($env:XDG_CONFIG_HOME) { $env:XDG_CONFIG_HOME } elseif ($IsWindows) { $env:APPDATA } else { Join-Path $HOME '.config' }
$Keys = if ($env:LP_SEALING_KEY_DIR) { $env:LP_SEALING_KEY_DIR } else { Join-Path $ConfigHome "lambda-pipelines/$Cluster" }
$KeyFile = Join-Path $Keys 'sealed-secrets.key'
$CertFile = Join-Path $Keys 'sealed-secrets.crt'
# The pipeline's volumes, on the host (see up.sh); down.ps1 -DeleteData removes them.
$DataHome = if ($env:XDG_DATA_HOME) { $env:XDG_DATA_HOME } elseif ($IsWindows) { $env:LOCALAPPDATA } else { Join-Path $HOME '.local/share' }
$DataDir = if ($env:LP_DATA_DIR) { $env:LP_DATA_DIR } else { Join-Path $DataHome "lambda-pipelines/$Cluster/volumes" }

function Step($Message) { Write-Host "`n==> $Message" }
function Invoke-Checked {
  # Native commands do not throw on failure in Windows PowerShell: check $LASTEXITCODE.
  param([string]$Command, [string[]]$Arguments)
  & $Command @Arguments
  if ($LASTEXITCODE -ne 0) { throw "$Command $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

foreach ($tool in 'docker', 'kind', 'kubectl', 'helm') {
  if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool is not installed (see README.md, 'Prerequisites')" }
}
Step "Local registry $RegistryName on 127.0.0.1:$RegistryPort"
$running = (docker inspect -f '{{.State.Running}}' $RegistryName 2>$null)
if ($running -ne 'true') {
  Invoke-Checked docker @('run', '-d', '--restart=always', '-p', "127.0.0.1:${RegistryPort}:5000", '--network', 'bridge', '--name', $RegistryName, '${{ p.versions.registry.source }}:${{ p.versions.registry.version }}')
}

Step "kind cluster $Cluster (volumes in $DataDir)"
if (-not ((kind get clusters) -contains $Cluster)) {
  New-Item -ItemType Directory -Force -Path $DataDir, (Join-Path $Root '.build') | Out-Null
  # kind takes no variables: the config with the data directory filled in
  # (forward slashes, which kind accepts for Windows paths too).
  $kindConfig = Join-Path $Root '.build/kind-cluster.yaml'
  $hostDir = (Resolve-Path $DataDir).Path.Replace('\', '/')
  (Get-Content -Raw (Join-Path $Root 'kind/cluster.yaml')).Replace('hostPath: LP_DATA_DIR', "hostPath: $hostDir") |
    Set-Content -Encoding utf8 -NoNewline $kindConfig
  Invoke-Checked kind @('create', 'cluster', '--config', $kindConfig, '--wait', '120s')
}
$node = "$Cluster-control-plane"
# One directory per volume, writable by every pod's user (see up.sh).
Invoke-Checked docker @('exec', $node, 'sh', '-c', 'cd ${{ p.volumes.nodePath }} && mkdir -p{% for key, c in p.volumes.claims %} ${{ c.dir }}{% endfor %} && chmod 0777{% for key, c in p.volumes.claims %} ${{ c.dir }}{% endfor %}')
# containerd on the node pulls from the registry under both of its names (see up.sh).
docker network connect kind $RegistryName 2>$null
foreach ($registry in '${{ p.registry.cluster }}', '${{ p.registry.host }}') {
  Invoke-Checked docker @('exec', $node, 'mkdir', '-p', "/etc/containerd/certs.d/$registry")
  "[host.`"http://${RegistryName}:5000`"]`n" | docker exec -i $node cp /dev/stdin "/etc/containerd/certs.d/$registry/hosts.toml"
}
Invoke-Checked kubectl @('apply', '--server-side', '-f', (Join-Path $Root 'kind/local-registry-hosting.yaml'))

Step "CRDs (deploy/crds: the pinned operators' CRDs; Helm leaves existing CRDs alone)"
Invoke-Checked kubectl @('apply', '--server-side', '--field-manager=lambda-pipelines', '-k', (Join-Path $Root 'deploy/crds'))
Invoke-Checked kubectl @('wait', '--for=condition=Established', '--timeout=120s', '-k', (Join-Path $Root 'deploy/crds'))

Step "Sealed Secrets controller (its key: $Keys)"
# A key kept from an earlier cluster goes in before the controller starts.
$existingKeys = kubectl -n kube-system get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o name
if ((Test-Path $KeyFile) -and -not $existingKeys) {
  Invoke-Checked kubectl @('-n', 'kube-system', 'create', 'secret', 'tls', 'sealed-secrets-key-restored', "--cert=$CertFile", "--key=$KeyFile")
  Invoke-Checked kubectl @('-n', 'kube-system', 'label', 'secret', 'sealed-secrets-key-restored', 'sealedsecrets.bitnami.com/sealed-secrets-key=active')
}
Invoke-Checked helm @('upgrade', '--install', 'sealed-secrets', 'sealed-secrets', '--repo', '${{ p.versions.sealedSecrets.source }}', '--version', '${{ p.versions.sealedSecrets.version }}', '--namespace', 'kube-system', '-f', (Join-Path $Root 'helm/sealed-secrets.values.yaml'), '--wait')
if (-not (Test-Path $KeyFile)) {
  # The first cluster: keep its key (and certificate, for sealing offline).
  New-Item -ItemType Directory -Force -Path $Keys | Out-Null
  $keySecret = @(kubectl -n kube-system get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o name)[0]
  foreach ($pair in @(@('tls\.key', $KeyFile), @('tls\.crt', $CertFile))) {
    $encoded = kubectl -n kube-system get $keySecret -o "jsonpath={.data.$($pair[0])}"
    [IO.File]::WriteAllBytes($pair[1], [Convert]::FromBase64String($encoded))
  }
  if (-not $IsWindows) { chmod 600 $KeyFile }
  Write-Host "sealing key kept in $Keys (back it up: the committed SealedSecrets decrypt only with it)"
}
# Stop here, with the controller up, rather than start pods that cannot authenticate.
$sealed = Join-Path $Root 'deploy/overlays/kind/sealed-secrets/kustomization.yaml'
if (-not (Select-String -Path $sealed -Pattern 'sealedsecret' -Quiet)) {
  throw "no sealed secrets yet: run scripts\seal-secrets.ps1 <directory> now (the controller is up), then scripts\up.ps1 again (README.md, 'Secrets')"
}

Step 'Operators'
kubectl create namespace $Namespace --dry-run=client -o yaml | kubectl apply --server-side -f -
Invoke-Checked helm @('upgrade', '--install', 'strimzi', '${{ p.versions.strimzi.source }}', '--version', '${{ p.versions.strimzi.version }}', '--namespace', $Namespace, '-f', (Join-Path $Root 'helm/strimzi.values.yaml'), '--wait')
Invoke-Checked helm @('upgrade', '--install', 'spark-operator', 'spark-operator', '--repo', '${{ p.versions.sparkOperator.source }}', '--version', '${{ p.versions.sparkOperator.version }}', '--namespace', $Namespace, '-f', (Join-Path $Root 'helm/spark-operator.values.yaml'), '--wait')
Invoke-Checked helm @('upgrade', '--install', 'monitoring', 'kube-prometheus-stack', '--repo', '${{ p.versions.kubePrometheusStack.source }}', '--version', '${{ p.versions.kubePrometheusStack.version }}', '--namespace', $Namespace, '-f', (Join-Path $Root 'helm/kube-prometheus-stack.values.yaml'), '--wait')

Step 'Spark image (images/spark/Dockerfile)'
# Tagged by content (the image ID), as in up.sh.
$build = Join-Path $Root '.build'
New-Item -ItemType Directory -Force -Path (Join-Path $build 'apply') | Out-Null
$iidFile = Join-Path $build 'spark.iid'
Invoke-Checked docker @('build', '-f', (Join-Path $Root 'images/spark/Dockerfile'), '--iidfile', $iidFile, $Root)
$imageId = (Get-Content -Raw $iidFile).Trim()
$sparkTag = $imageId.Replace('sha256:', '').Substring(0, 16)
$sparkImage = "${{ p.registry.host }}/${{ p.sparkImage.repository }}:$sparkTag"
Invoke-Checked docker @('tag', $imageId, $sparkImage)
Invoke-Checked docker @('push', $sparkImage)

Step "dbt image (images/dbt/Dockerfile), under the tag the DAG repository's pipeline.json names"
$dbtImage = '${{ p.registry.host }}/${{ p.dbtImage.repository }}:${{ p.dbtImage.tag }}'
Invoke-Checked docker @('build', '-f', (Join-Path $Root 'images/dbt/Dockerfile'), '-t', $dbtImage, $Root)
Invoke-Checked docker @('push', $dbtImage)

Step "Pipeline manifests (kustomize overlay deploy/overlays/kind-cluster, Spark image $sparkTag)"
# The overlay as committed, with the image just pushed (.build/ is git-ignored).
@"
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../deploy/overlays/kind-cluster
images:
  - name: ${{ p.registry.cluster }}/${{ p.sparkImage.repository }}
    newTag: '$sparkTag'
"@ | Set-Content -Encoding utf8 (Join-Path $build 'apply/kustomization.yaml')
Invoke-Checked kubectl @('apply', '--server-side', '--field-manager=lambda-pipelines', '-k', (Join-Path $build 'apply'))

Step 'Waiting for Kafka, Kafka Connect and PostgreSQL'
Invoke-Checked kubectl @('-n', $Namespace, 'wait', 'kafka/${{ p.names.kafkaCluster }}', '--for=condition=Ready', '--timeout=600s')
Invoke-Checked kubectl @('-n', $Namespace, 'rollout', 'status', 'statefulset/postgres', '--timeout=300s')
Invoke-Checked kubectl @('-n', $Namespace, 'rollout', 'status', 'statefulset/clickhouse', '--timeout=300s')
Invoke-Checked kubectl @('-n', $Namespace, 'wait', 'kafkaconnect/${{ p.names.kafkaConnect }}', '--for=condition=Ready', '--timeout=1200s')

Step 'Airflow (chart ${{ p.versions.airflowChart.version }}, DAGs from git-sync)'
# The admin's password: generated once into the Secret airflow-admin.
kubectl -n $Namespace get secret airflow-admin 2>$null | Out-Null
if ($LASTEXITCODE -ne 0) {
  $generated = -join ((48..57) + (65..90) + (97..122) | Get-Random -Count 24 | ForEach-Object { [char]$_ })
  Invoke-Checked kubectl @('-n', $Namespace, 'create', 'secret', 'generic', 'airflow-admin', "--from-literal=password=$generated")
}
$encoded = kubectl -n $Namespace get secret airflow-admin -o 'jsonpath={.data.password}'
$adminPassword = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($encoded))
# --wait is safe: the chart's migration and user jobs are plain Jobs here (useHelmHooks: false).
Invoke-Checked helm @('upgrade', '--install', '${{ p.airflow.release }}', 'airflow', '--repo', 'https://airflow.apache.org', '--version', '${{ p.versions.airflowChart.version }}', '--namespace', $Namespace, '-f', (Join-Path $Root 'helm/airflow.values.yaml'), '--set-string', "createUserJob.defaultUser.password=$adminPassword", '--timeout', '15m', '--wait')

Step 'Done'
& (Join-Path $PSScriptRoot 'status.ps1')
