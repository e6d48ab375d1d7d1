"""DAG integrity: every DAG of this repository imports, and follows the pipeline's conventions.

Run from the repository root with Airflow 3.2 installed: ``pytest tests``.
No metadata database, cluster or network is needed (parsing must not use one; the
``dagbag`` fixture in conftest.py parses with network connections refused).
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import pytest
from airflow.dag_processing.dagbag import BundleDagBag
from airflow.sdk import Asset
from airflow.sdk._shared.module_loading import import_string

from lambda_pipeline.alerts import FailureNotifier
from lambda_pipeline.config import pipeline_config

CONFIG = pipeline_config()
PIPELINE = CONFIG["pipeline"]
DAG_IDS = [f"{PIPELINE}_{name}" for name in ("batch_load", "dbt", "reconciliation", "data_quality")]
# Airflow 3 has no SLAs: these DAGs must raise a Deadline Alert when a run is late.
DAGS_WITH_DEADLINE = [f"{PIPELINE}_batch_load", f"{PIPELINE}_reconciliation"]


def _notifiers(callback: Any) -> list[Any]:
    callbacks = callback if isinstance(callback, list) else [callback] if callback else []
    return [c for c in callbacks if isinstance(c, FailureNotifier)]


def test_no_import_errors(dagbag: BundleDagBag) -> None:
    assert dagbag.import_errors == {}, "\n".join(f"{path}:\n{error}" for path, error in dagbag.import_errors.items())


def test_every_dag_is_the_pipelines(dagbag: BundleDagBag) -> None:
    assert sorted(dagbag.dags) == sorted(DAG_IDS)
    for dag_id in dagbag.dags:
        assert dag_id.startswith(PIPELINE + "_"), dag_id


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_owner_retries_tags_and_failure_alerts(dagbag: BundleDagBag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]  # not get_dag(): that reads the metadata database
    assert PIPELINE in dag.tags and len(dag.tags) >= 2, dag.tags
    assert dag.catchup is False
    assert dag.doc_md, "document the DAG (doc_md)"
    assert _notifiers(dag.on_failure_callback), "the DAG needs a FailureNotifier on_failure_callback"
    assert dag.tasks
    for t in dag.tasks:
        assert t.owner == CONFIG["owner"] and t.owner != "airflow", (t.task_id, t.owner)
        assert t.retries >= 1, (t.task_id, t.retries)
        assert _notifiers(t.on_failure_callback), f"{t.task_id} has no failure notifier"


@pytest.mark.parametrize("dag_id", DAGS_WITH_DEADLINE)
def test_deadline_alert_callback_is_importable(dagbag: BundleDagBag, dag_id: str) -> None:
    deadlines = dagbag.dags[dag_id].deadline
    assert deadlines, f"{dag_id} needs a Deadline Alert"
    for alert in deadlines:
        assert alert.interval.total_seconds() > 0
        # The triggerer imports the callback by this path: it must not point into a DAG file.
        path = alert.callback.path
        assert path.startswith("lambda_pipeline."), path
        assert inspect.iscoroutinefunction(import_string(path)), path


def test_batch_load_submits_a_unique_spark_application(dagbag: BundleDagBag) -> None:
    dag = dagbag.dags[f"{PIPELINE}_batch_load"]
    load = dag.get_task("load_snowflake")
    assert load.random_name_suffix and load.delete_on_termination and load.retries >= 1
    assert load.namespace == CONFIG["namespace"]
    spec = load.template_spec.value["spark"]["spec"]  # literal(): not rendered by Jinja
    assert spec["image"] == CONFIG["batch"]["image"]
    assert spec["mainApplicationFile"].endswith("/batch_job.py")
    assert spec["restartPolicy"] == {"type": "Never"}, "Airflow retries, with a new application"
    assert Asset(name=f"{PIPELINE}_batch_layer", uri=load.outlets[0].uri) in load.outlets


def test_dbt_runs_after_the_batch_layer_is_loaded(dagbag: BundleDagBag) -> None:
    dag = dagbag.dags[f"{PIPELINE}_dbt"]
    produced = {
        outlet.name
        for t in dagbag.dags[f"{PIPELINE}_batch_load"].tasks
        for outlet in t.outlets
        if isinstance(outlet, Asset)
    }
    # schedule=[...] is an AssetAll of the listed assets (here a reference by name).
    consumed = {getattr(asset, "name", None) for asset in dag.timetable.asset_condition.objects}
    assert consumed and consumed <= produced, (consumed, produced)


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_templates_render(dagbag: BundleDagBag, dag_id: str) -> None:
    """Jinja renders every templated field (a string ending in .json or .yaml would be read as a file)."""
    for t in dagbag.dags[dag_id].tasks:
        copy.deepcopy(t).render_template_fields(context={})


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_serializes(dagbag: BundleDagBag, dag_id: str) -> None:
    """What the DAG processor stores (deadlines, callbacks, operator arguments) serializes."""
    from airflow.serialization.serialized_objects import DagSerialization

    DagSerialization.to_dict(dagbag.dags[dag_id])


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_pipeline_json_has_what_the_tasks_need(dagbag: BundleDagBag, dag_id: str) -> None:
    """The checks tasks run before they submit anything pass on this repository's pipeline.json."""
    for t in dagbag.dags[dag_id].tasks:
        check = getattr(t, "_pre_execute_hook", None)
        if check is not None:
            check({})
