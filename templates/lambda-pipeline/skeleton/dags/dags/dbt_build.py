"""dbt: builds and tests the dbt project (``dbt/``) in Snowflake after each batch load.

Scheduled on the batch layer's asset (``<pipeline>_batch_layer``, which the
batch load's task produces): dbt runs once after every successful load, and once
for several loads that finished while it was still running. An asset rather
than a TriggerDagRunOperator keeps the two DAGs independent (no DAG id in the
other's code, no worker slot held while dbt runs) and shows the dependency in
Airflow's asset graph.

dbt runs in its own environment, the pipeline's dbt image (the platform
repository's ``images/dbt``: dbt-core and dbt-snowflake, pinned, which its
``scripts/up.sh`` builds and pushes under the tag ``pipeline.json`` names), in a
pod of its own: a one-time git-sync init container checks out this repository
(the same URL, branch and credentials Secret as Airflow's own git-sync), then
``dbt deps`` installs the vendored packages and ``dbt build --target snowflake``
runs every model, seed, snapshot and test. The profile (``dbt/profiles.yml``)
reads everything from ``SNOWFLAKE_*`` environment variables; the key pair comes
from the pipeline's Snowflake Secret and never touches this repository.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.sdk import Asset, dag
from kubernetes.client import models as k8s

from lambda_pipeline.alerts import FailureNotifier
from lambda_pipeline.config import pipeline_config

CONFIG = pipeline_config()
PIPELINE: str = CONFIG["pipeline"]
SNOWFLAKE: dict[str, Any] = CONFIG["batch"]["snowflake"]
SECRETS: dict[str, str] = CONFIG.get("secrets", {})
DAG_REPO: dict[str, str] = CONFIG.get("dags", {})
DBT: dict[str, Any] = CONFIG.get("dbt", {})

# The pipeline's dbt image, as the cluster's registry serves it.
DBT_IMAGE: str = DBT["image"]
# Pinned (the template's version matrix); pipeline.json may override it.
GIT_SYNC_IMAGE = DBT.get("gitSyncImage") or "registry.k8s.io/git-sync/git-sync:v4.4.2"
# What the dbt pod may use when pipeline.json does not size it.
DEFAULT_RESOURCES = {"requestMemory": "512Mi", "limitMemory": "768Mi", "requestCpu": "200m"}

GIT_ROOT = "/git"  # git-sync's checkout; /git/repo links to the current worktree
WORK_DIR = "/work"  # a writable copy: dbt writes target/, logs/ and dbt_packages/
LOCAL_REPOS = "/lp-repos"  # file:// DAG repositories on the kind node (see the kind config)
SSH_KEY_DIR = "/etc/git-secret"
GIT_SYNC_UID = 65533  # git-sync's user; fsGroup lets it read the SSH key and write /git

# The dbt pod's script. Nothing in it is a Jinja template (Airflow renders `arguments`).
DBT_SCRIPT = f"""set -eu
cp -R {GIT_ROOT}/repo/. {WORK_DIR}/repo
cd {WORK_DIR}/repo/dbt
dbt deps
dbt build --target snowflake
# Fails the task (and alerts) when a source is staler than its error threshold.
dbt source freshness --target snowflake
"""

BATCH_LAYER = Asset.ref(name=f"{PIPELINE}_batch_layer")


def check_settings(context: Any) -> None:
    """pre_execute hook: fail clearly when pipeline.json lacks what the dbt pod needs."""
    missing = [f"dags.{key}" for key in ("repoUrl", "branch") if not DAG_REPO.get(key)]
    if not SECRETS.get("snowflake"):
        missing.append("secrets.snowflake")
    # Only a file:// repository (the local profile) is read without credentials.
    url = DAG_REPO.get("repoUrl", "")
    if url and not url.startswith("file://") and not SECRETS.get("gitSync"):
        missing.append("secrets.gitSync")
    if missing:
        raise RuntimeError(
            f"pipeline.json has no {', '.join(missing)}: the dbt pod cannot check out this repository or "
            "reach Snowflake. Re-render the DAG repository from the template (pipeline.json is written "
            "from the pipeline spec: spec.dags.repoUrl, spec.dags.branch, spec.secrets)."
        )


def _from_secret(name: str, secret: str | None, key: str, optional: bool = False) -> k8s.V1EnvVar:
    return k8s.V1EnvVar(
        name=name,
        value_from=k8s.V1EnvVarSource(
            secret_key_ref=k8s.V1SecretKeySelector(name=secret or "", key=key, optional=optional or None)
        ),
    )


def git_sync_init_container() -> tuple[k8s.V1Container, list[k8s.V1Volume]]:
    """A one-time git-sync of this repository, configured like Airflow's own git-sync sidecar."""
    url = DAG_REPO.get("repoUrl", "")
    env = [
        k8s.V1EnvVar(name="GITSYNC_REPO", value=url),
        k8s.V1EnvVar(name="GITSYNC_REF", value=DAG_REPO.get("branch", "main")),
        k8s.V1EnvVar(name="GITSYNC_ROOT", value=GIT_ROOT),
        k8s.V1EnvVar(name="GITSYNC_LINK", value="repo"),
        k8s.V1EnvVar(name="GITSYNC_DEPTH", value="1"),
        k8s.V1EnvVar(name="GITSYNC_ONE_TIME", value="true"),
    ]
    mounts = [k8s.V1VolumeMount(name="git", mount_path=GIT_ROOT)]
    volumes: list[k8s.V1Volume] = []
    if url.startswith("file://"):
        # A local bare repository, mounted into the kind node.
        volumes.append(
            k8s.V1Volume(name="lp-repos", host_path=k8s.V1HostPathVolumeSource(path=LOCAL_REPOS, type="Directory"))
        )
        mounts.append(k8s.V1VolumeMount(name="lp-repos", mount_path=LOCAL_REPOS, read_only=True))
    elif urlsplit(url).scheme in ("http", "https"):
        # The Secret's keys are git-sync v4's variable names (apache/airflow#43247).
        env += [
            _from_secret("GITSYNC_USERNAME", SECRETS.get("gitSync"), "GITSYNC_USERNAME"),
            _from_secret("GITSYNC_PASSWORD", SECRETS.get("gitSync"), "GITSYNC_PASSWORD"),
        ]
    else:
        # SSH: the same Secret and key (`gitSshKey`) as the Airflow chart's sshKeySecret.
        volumes.append(
            k8s.V1Volume(
                name="git-ssh-key",
                secret=k8s.V1SecretVolumeSource(
                    secret_name=SECRETS.get("gitSync", ""),
                    items=[k8s.V1KeyToPath(key="gitSshKey", path="ssh")],
                    default_mode=0o440,
                ),
            )
        )
        mounts.append(k8s.V1VolumeMount(name="git-ssh-key", mount_path=SSH_KEY_DIR, read_only=True))
        env += [
            k8s.V1EnvVar(name="GITSYNC_SSH_KEY_FILE", value=f"{SSH_KEY_DIR}/ssh"),
            # As the chart does without dags.gitSync.knownHosts.
            k8s.V1EnvVar(name="GITSYNC_SSH_KNOWN_HOSTS", value="false"),
        ]
    container = k8s.V1Container(
        name="git-sync",
        image=GIT_SYNC_IMAGE,
        env=env,
        volume_mounts=mounts,
        resources=k8s.V1ResourceRequirements(requests={"memory": "48Mi", "cpu": "20m"}, limits={"memory": "64Mi"}),
        security_context=k8s.V1SecurityContext(run_as_user=GIT_SYNC_UID, allow_privilege_escalation=False),
    )
    return container, volumes


def dbt_env() -> list[k8s.V1EnvVar]:
    """The profile's inputs: connection settings from pipeline.json, the key pair from the Secret."""
    url = urlsplit(SNOWFLAKE["url"])
    plain = {
        "SNOWFLAKE_ACCOUNT": SNOWFLAKE["account"],
        "SNOWFLAKE_USER": SNOWFLAKE["user"],
        "SNOWFLAKE_ROLE": SNOWFLAKE["role"],
        "SNOWFLAKE_WAREHOUSE": SNOWFLAKE["warehouse"],
        "SNOWFLAKE_DATABASE": SNOWFLAKE["database"],
        "SNOWFLAKE_SCHEMA": SNOWFLAKE["schema"],
        # The account's own endpoint, or the local profile's emulator.
        "SNOWFLAKE_HOST": url.hostname or "",
        "SNOWFLAKE_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
        "SNOWFLAKE_PROTOCOL": url.scheme,
        "DBT_PROFILES_DIR": f"{WORK_DIR}/repo/dbt",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    return [k8s.V1EnvVar(name=name, value=value) for name, value in plain.items()] + [
        _from_secret("SNOWFLAKE_PRIVATE_KEY", SECRETS.get("snowflake"), "private-key"),
        _from_secret("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", SECRETS.get("snowflake"), "private-key-passphrase", True),
    ]


def dbt_resources() -> k8s.V1ResourceRequirements:
    sizing = {**DEFAULT_RESOURCES, **DBT.get("resources", {})}
    return k8s.V1ResourceRequirements(
        requests={"memory": sizing["requestMemory"], "cpu": sizing["requestCpu"]},
        limits={"memory": sizing["limitMemory"]},
    )


@dag(
    dag_id=CONFIG["dagIds"]["dbt"],
    description="dbt build + test of the Snowflake models, after every batch load",
    schedule=[BATCH_LAYER],
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": CONFIG["owner"],
        "retries": 1,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": FailureNotifier(PIPELINE, "dbt"),
    },
    on_failure_callback=FailureNotifier(PIPELINE, "dbt"),
    tags=[PIPELINE, "lambda-pipeline", "dbt", "batch"],
    doc_md=__doc__,
)
def dbt_build() -> None:
    git_sync, repo_volumes = git_sync_init_container()
    KubernetesPodOperator(
        task_id="dbt_build",
        name=f"{PIPELINE}-dbt",
        namespace=CONFIG["namespace"],
        image=DBT_IMAGE,
        cmds=["/bin/sh", "-c"],
        arguments=[DBT_SCRIPT],
        env_vars=dbt_env(),
        init_containers=[git_sync],
        volumes=[
            k8s.V1Volume(name="git", empty_dir=k8s.V1EmptyDirVolumeSource()),
            k8s.V1Volume(name="work", empty_dir=k8s.V1EmptyDirVolumeSource()),
            *repo_volumes,
        ],
        volume_mounts=[
            k8s.V1VolumeMount(name="git", mount_path=GIT_ROOT, read_only=True),
            k8s.V1VolumeMount(name="work", mount_path=WORK_DIR),
        ],
        security_context=k8s.V1PodSecurityContext(fs_group=GIT_SYNC_UID),
        container_resources=dbt_resources(),
        labels={"app.kubernetes.io/part-of": PIPELINE, "lambda-pipelines.io/layer": "dbt"},
        # A new pod name per try; the pod goes when it ends (its log is in the task log).
        random_name_suffix=True,
        on_finish_action="delete_pod",
        get_logs=True,
        startup_timeout_seconds=600,
        pre_execute=check_settings,
    )


dbt_build()
