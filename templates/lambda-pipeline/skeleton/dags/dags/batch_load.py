"""Batch load: the batch layer's run, Iceberg -> Snowflake, on ``batch.schedule``.

Submits the batch job baked into the pipeline's Spark image as a
SparkApplication (the Spark operator runs it in the pipeline's namespace) and
follows its driver until it ends. Everything comes from ``pipeline.json``;
nothing heavy runs while Airflow parses this file (reading that small JSON
file once is all).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import SparkKubernetesOperator
from airflow.sdk import Asset, AsyncCallback, DeadlineAlert, DeadlineReference, dag, literal

from lambda_pipeline.alerts import DEADLINE_CALLBACK, FailureNotifier
from lambda_pipeline.config import pipeline_config

CONFIG = pipeline_config()
PIPELINE: str = CONFIG["pipeline"]
BATCH: dict[str, Any] = CONFIG["batch"]
DEADLINE_MINUTES = int(BATCH.get("deadlineMinutes", 60))

# Where the platform's Spark image keeps the jobs and their configuration.
JOBS_DIR = "/opt/spark/work-dir/jobs"
BATCH_JOB = "batch_job.py"
# With the raw-landing sink (batch.lakeSink = "s3-raw") the landed files are
# merged into the Iceberg tables first, by this job of the same image.
RAW_MERGE_JOB = "raw_merge_job.py"

# Settings the SparkApplication cannot do without; checked before anything is
# submitted, so a repository rendered without them fails with this message
# instead of a Spark job that cannot reach its catalog.
REQUIRED_SETTINGS = ("batch.sparkConf", "batch.awsRegion", "secrets.s3", "secrets.snowflake")

# The Snowflake tables the batch layer loads, as an Airflow asset: the dbt DAG
# is scheduled on it, so dbt runs after every successful load (and once for
# several loads that finished while it was running).
BATCH_LAYER = Asset(
    name=f"{PIPELINE}_batch_layer",
    # "x-" marks a scheme of our own, which Airflow leaves unvalidated.
    uri=f"x-lambda-pipeline://{PIPELINE}/snowflake/{BATCH['snowflake']['database']}/{BATCH['snowflake']['schema']}",
)


def missing_settings(config: dict[str, Any]) -> list[str]:
    """The REQUIRED_SETTINGS paths that ``config`` lacks or leaves empty."""
    missing = []
    for path in REQUIRED_SETTINGS:
        value: Any = config
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value in (None, "", {}):
            missing.append(path)
    return missing


def check_settings(context: Any) -> None:
    """pre_execute hook of the Spark tasks: fail clearly on an incomplete pipeline.json."""
    missing = missing_settings(CONFIG)
    if missing:
        raise RuntimeError(
            f"pipeline.json has no {', '.join(missing)}: the SparkApplication cannot be built. Re-render "
            "the DAG repository from the template (pipeline.json is written from the pipeline spec)."
        )


def _secret_env(name: str, secret: str | None, key: str, optional: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": secret or "", "key": key}
    if optional:
        ref["optional"] = True
    return {"name": name, "valueFrom": {"secretKeyRef": ref}}


def spark_application(config: dict[str, Any], main_file: str = BATCH_JOB, name: str | None = None) -> dict[str, Any]:
    """The SparkApplication of one batch run, as ``deploy/base/spark/batch.yaml`` documents it.

    The operator replaces ``metadata.name`` with ``<name>-<8 random characters>``
    on every try: a fixed name would fail with 409 on re-runs
    (apache/airflow#16290).
    """
    batch = config["batch"]
    secrets = config.get("secrets", {})
    pod_labels = {"lambda-pipelines.io/layer": "batch"}
    labels = {"app.kubernetes.io/part-of": config["pipeline"], **pod_labels}
    aws_env = [
        # The jobs' shared module (jobs/lpjobs) for the driver and the Python workers.
        {"name": "PYTHONPATH", "value": JOBS_DIR},
        _secret_env("AWS_ACCESS_KEY_ID", secrets.get("s3"), "access-key-id"),
        _secret_env("AWS_SECRET_ACCESS_KEY", secrets.get("s3"), "secret-access-key"),
        {"name": "AWS_REGION", "value": batch.get("awsRegion", "")},
    ]
    # Key-pair authentication of the Snowflake service user.
    snowflake_env = [
        _secret_env("SNOWFLAKE_PRIVATE_KEY", secrets.get("snowflake"), "private-key"),
        _secret_env("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", secrets.get("snowflake"), "private-key-passphrase", True),
    ]

    def pod(role: str, env: list[dict[str, Any]]) -> dict[str, Any]:
        spec = batch[role]
        out: dict[str, Any] = {
            "cores": spec["cores"],
            "memory": spec["memory"],
            "memoryOverhead": spec["memoryOverhead"],
            "labels": dict(pod_labels),
            "env": env,
        }
        if spec.get("coreRequest"):
            out["coreRequest"] = spec["coreRequest"]
        return out

    # An Iceberg JDBC catalog's login, from the PostgreSQL Secret (the jobs hand it to Spark).
    catalog_env = []
    if batch.get("sparkConf", {}).get("spark.sql.catalog.lake.type") == "jdbc":
        catalog_env = [
            _secret_env("ICEBERG_JDBC_USER", secrets.get("postgres"), "username"),
            _secret_env("ICEBERG_JDBC_PASSWORD", secrets.get("postgres"), "password"),
        ]
    driver = {**pod("driver", aws_env + snowflake_env + catalog_env), "serviceAccount": batch.get("serviceAccount", "spark")}
    executor = {"instances": batch["executor"]["instances"], **pod("executor", aws_env)}
    return {
        "spark": {
            "apiVersion": "sparkoperator.k8s.io/v1beta2",
            "kind": "SparkApplication",
            "metadata": {"name": name or batch["application"], "labels": labels},
            "spec": {
                "type": "Python",
                "pythonVersion": "3",
                "mode": "cluster",
                "sparkVersion": batch["sparkVersion"],
                "image": batch["image"],
                "imagePullPolicy": "IfNotPresent",
                "mainApplicationFile": f"local://{JOBS_DIR}/{main_file}",
                "arguments": ["--config", f"{JOBS_DIR}/pipeline.json"],
                # Airflow retries the run (a new application each try). The
                # operator follows the driver pod and deletes the application
                # when the driver fails, so Spark-operator restarts
                # (OnFailure) would never get to run.
                "restartPolicy": {"type": "Never"},
                # Applications left behind (a worker lost mid-run) are cleaned up after a day.
                "timeToLiveSeconds": int(batch.get("timeToLiveSeconds", 86400)),
                "sparkConf": {key: str(value) for key, value in batch.get("sparkConf", {}).items()},
                "driver": driver,
                "executor": executor,
            },
        }
    }


def spark_task(task_id: str, main_file: str, name: str, **kwargs: Any) -> SparkKubernetesOperator:
    return SparkKubernetesOperator(
        task_id=task_id,
        namespace=CONFIG["namespace"],
        # literal(): template_spec is a templated field, and Jinja would take
        # "/opt/.../pipeline.json" in the arguments for a template file to load.
        template_spec=literal(spark_application(CONFIG, main_file, name)),
        # A unique SparkApplication per try, deleted when its driver ends
        # (its logs are in the task log); reattach after a worker restart.
        random_name_suffix=True,
        delete_on_termination=True,
        reattach_on_restart=True,
        get_logs=True,
        startup_timeout_seconds=600,
        pre_execute=check_settings,
        **kwargs,
    )


@dag(
    dag_id=CONFIG["dagIds"]["batchLoad"],
    description="Batch layer: new Iceberg snapshots -> latest row per key -> Snowflake (MERGE)",
    schedule=BATCH["schedule"],
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    # Two loads at once would race on the staging tables and the watermark.
    max_active_runs=1,
    default_args={
        "owner": CONFIG["owner"],
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": FailureNotifier(PIPELINE, "batch"),
    },
    on_failure_callback=FailureNotifier(PIPELINE, "batch"),
    # Airflow 3 has no SLAs: a load not finished DEADLINE_MINUTES after it was
    # queued raises an alert through lambda_pipeline.alerts (the run goes on).
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=DEADLINE_MINUTES),
        callback=AsyncCallback(
            DEADLINE_CALLBACK,
            kwargs={
                "pipeline": PIPELINE,
                "layer": "batch",
                "expectation": f"the batch load finishes within {DEADLINE_MINUTES} minutes of being queued",
            },
        ),
    ),
    tags=[PIPELINE, "lambda-pipeline", "batch"],
    doc_md=__doc__,
)
def batch_load() -> None:
    load = spark_task("load_snowflake", BATCH_JOB, BATCH["application"], outlets=[BATCH_LAYER])
    if BATCH.get("lakeSink") == "s3-raw":
        # The raw-landing sink writes plain files, not Iceberg: merge them first.
        merge_name = BATCH.get("rawMergeApplication") or f"{BATCH['application']}-raw-merge"
        spark_task("merge_raw_landing", RAW_MERGE_JOB, merge_name) >> load


batch_load()
