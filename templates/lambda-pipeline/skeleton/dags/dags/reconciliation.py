"""Reconciliation: do ClickHouse (speed) and Snowflake (batch) agree, window by window?

Every ``reconciliation.windowMinutes`` it runs ``lambda_pipeline.reconciliation``:
per source table and event-time window over the look-back period it compares
live rows, distinct keys, exact sums of the measures, deleted rows and the XOR
of the row fingerprints in both layers, and writes every window's result to
``reconciliation.resultsTable`` (the Backstage plugin reads it). Windows older
than the batch watermark plus the allowed lateness are *closed* and must match
exactly: when one does not, the task fails, the failure notifier names the
windows, and the error says how to repair them. Open windows may differ within
``openWindowTolerance`` and are checked again on the next run.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference, dag, task
from kubernetes.client import models as k8s

from lambda_pipeline.alerts import DEADLINE_CALLBACK, FailureNotifier
from lambda_pipeline.config import pipeline_config

CONFIG = pipeline_config()
PIPELINE: str = CONFIG["pipeline"]
SECRETS: dict[str, str] = CONFIG.get("secrets", {})
WINDOW_MINUTES = int(CONFIG["reconciliation"]["windowMinutes"])
# A run should be over before the next one is due; never alert sooner than 10 minutes.
DEADLINE_MINUTES = max(WINDOW_MINUTES, 10)


def window_schedule(minutes: int) -> str | timedelta:
    """A cron expression firing at every window boundary (UTC), or the interval itself.

    ``windowMinutes`` divides a day, so windows start at midnight; cron keeps the
    runs on the boundaries whenever the window can be written as one.
    """
    if minutes < 60 and 60 % minutes == 0:
        return f"*/{minutes} * * * *"
    if minutes == 60:
        return "0 * * * *"
    if minutes % 60 == 0 and 1440 % minutes == 0:
        hours = minutes // 60
        return "0 0 * * *" if hours == 24 else f"0 */{hours} * * *"
    return timedelta(minutes=minutes)


def _from_secret(name: str, secret: str, key: str, optional: bool = False) -> k8s.V1EnvVar:
    return k8s.V1EnvVar(
        name=name,
        value_from=k8s.V1EnvVarSource(
            secret_key_ref=k8s.V1SecretKeySelector(name=secret, key=key, optional=optional or None)
        ),
    )


def credentials_pod_override() -> dict[str, Any]:
    """The worker pod (KubernetesExecutor) gets the two layers' credentials from their Secrets.

    Only this task's pod sees them, not every Airflow component. A Secret
    missing from pipeline.json is left out; the task then says which one.
    """
    env = []
    if SECRETS.get("snowflake"):
        env += [
            _from_secret("SNOWFLAKE_PRIVATE_KEY", SECRETS["snowflake"], "private-key"),
            _from_secret("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", SECRETS["snowflake"], "private-key-passphrase", True),
        ]
    if SECRETS.get("clickhouse"):
        env += [
            _from_secret("CLICKHOUSE_USER", SECRETS["clickhouse"], "username"),
            _from_secret("CLICKHOUSE_PASSWORD", SECRETS["clickhouse"], "password"),
        ]
    # "base" is the container the executor runs the task in.
    return {"pod_override": k8s.V1Pod(spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="base", env=env)]))}


@dag(
    dag_id=CONFIG["dagIds"]["reconciliation"],
    description="Speed layer (ClickHouse) vs batch layer (Snowflake), per event-time window",
    schedule=window_schedule(WINDOW_MINUTES),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": CONFIG["owner"],
        # One retry covers a dropped connection; a diverged window fails again
        # and is alerted on (the next scheduled run checks it once more).
        "retries": 1,
        "retry_delay": timedelta(minutes=2),
        "on_failure_callback": FailureNotifier(PIPELINE, "reconciliation"),
    },
    on_failure_callback=FailureNotifier(PIPELINE, "reconciliation"),
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=DEADLINE_MINUTES),
        callback=AsyncCallback(
            DEADLINE_CALLBACK,
            kwargs={
                "pipeline": PIPELINE,
                "layer": "reconciliation",
                "expectation": f"reconciliation finishes within {DEADLINE_MINUTES} minutes, before the next window",
            },
        ),
    ),
    tags=[PIPELINE, "lambda-pipeline", "reconciliation"],
    doc_md=__doc__,
)
def reconciliation() -> None:
    @task(executor_config=credentials_pod_override())
    def reconcile() -> dict[str, int]:
        """Reconciles every table; raises when a closed window diverged. Returns the count per status."""
        # Imported here, not at parse time: the DAG processor never loads it.
        from lambda_pipeline.reconciliation import run

        config = pipeline_config()
        if not config.get("secrets", {}).get("snowflake"):
            raise RuntimeError(
                "pipeline.json has no secrets.snowflake: this task has no Snowflake credentials. "
                "Re-render the DAG repository from the template."
            )
        # run() saves every window's result first, then raises DivergedWindows
        # (naming the windows and the repair) when a closed window differs; the
        # check below keeps that promise should run() ever only report them.
        results = run(config)
        diverged = [r for r in results if r.get("status") == "diverged"]
        if diverged:
            raise RuntimeError(f"{len(diverged)} closed window(s) diverged: {diverged[:20]}")
        return dict(Counter(result.get("status", "unknown") for result in results))

    reconcile()


reconciliation()
