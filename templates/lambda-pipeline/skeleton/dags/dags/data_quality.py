"""Data quality: anomaly checks on what the batch layer loaded, hourly.

Runs ``lambda_pipeline.data_quality``: per source table and event-time window
(``reconciliation.windowMinutes``) it compares the newest complete window's row
count and null rates with the windows before it (a z-score). A sudden drop in
volume or a column that starts arriving empty fails the task, and the failure
notifier names the table, window and metric.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import dag, task
from kubernetes.client import models as k8s

from lambda_pipeline.alerts import FailureNotifier
from lambda_pipeline.config import pipeline_config

CONFIG = pipeline_config()
PIPELINE: str = CONFIG["pipeline"]
SECRETS: dict[str, str] = CONFIG.get("secrets", {})


def credentials_pod_override() -> dict[str, Any]:
    """The worker pod (KubernetesExecutor) gets the Snowflake key pair from its Secret, and only it."""
    env = []
    if SECRETS.get("snowflake"):
        env = [
            k8s.V1EnvVar(
                name=name,
                value_from=k8s.V1EnvVarSource(
                    secret_key_ref=k8s.V1SecretKeySelector(name=SECRETS["snowflake"], key=key, optional=optional)
                ),
            )
            for name, key, optional in (
                ("SNOWFLAKE_PRIVATE_KEY", "private-key", None),
                ("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "private-key-passphrase", True),
            )
        ]
    # "base" is the container the executor runs the task in.
    return {"pod_override": k8s.V1Pod(spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="base", env=env)]))}


@dag(
    dag_id=CONFIG["dagIds"]["dataQuality"],
    description="Batch layer anomaly checks: z-score of per-window row counts and null rates",
    schedule="@hourly",
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": CONFIG["owner"],
        "retries": 1,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": FailureNotifier(PIPELINE, "data-quality"),
    },
    on_failure_callback=FailureNotifier(PIPELINE, "data-quality"),
    tags=[PIPELINE, "lambda-pipeline", "data-quality"],
    doc_md=__doc__,
)
def data_quality() -> None:
    @task(executor_config=credentials_pod_override())
    def check_anomalies() -> int:
        """Checks the newest complete window of every table; raises on an anomaly. Returns the tables checked."""
        # Imported here, not at parse time: the DAG processor never loads it.
        from lambda_pipeline.data_quality import run

        config = pipeline_config()
        if not config.get("secrets", {}).get("snowflake"):
            raise RuntimeError(
                "pipeline.json has no secrets.snowflake: this task has no Snowflake credentials. "
                "Re-render the DAG repository from the template."
            )
        # run() raises DataQualityAnomalies (table, window, metric, z) when one is off.
        run(config)
        return len(config["tables"])

    check_anomalies()


data_quality()
