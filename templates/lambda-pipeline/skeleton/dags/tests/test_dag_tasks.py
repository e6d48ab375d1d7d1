"""What the Python tasks make of lambda_pipeline's results (its run() functions replaced here).

The checks themselves (reconciliation, data quality) are tested against real
ClickHouse and Snowflake where the template is built; this is the DAG side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import lambda_pipeline.data_quality
import lambda_pipeline.reconciliation
from lambda_pipeline.config import pipeline_config

CONFIG = pipeline_config()
PIPELINE = CONFIG["pipeline"]


def task_callable(dagbag: Any, dag: str, task_id: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Any]:
    """The task's Python function, reading a pipeline.json that names a Snowflake Secret."""
    function = dagbag.dags[f"{PIPELINE}_{dag}"].get_task(task_id).python_callable
    config = {**CONFIG, "secrets": {**CONFIG.get("secrets", {}), "snowflake": "test-snowflake"}}
    monkeypatch.setitem(function.__globals__, "pipeline_config", lambda: config)
    return function


def test_reconcile_counts_windows_and_fails_on_a_diverged_one(dagbag: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    reconcile = task_callable(dagbag, "reconciliation", "reconcile", monkeypatch)
    results = [{"status": "consistent"}, {"status": "consistent"}, {"status": "converging"}]
    monkeypatch.setattr(lambda_pipeline.reconciliation, "run", lambda config, now=None: results)
    assert reconcile() == {"consistent": 2, "converging": 1}

    diverged = {"status": "diverged", "table": "public.orders", "windowStart": "2026-11-25T10:00:00Z"}
    monkeypatch.setattr(lambda_pipeline.reconciliation, "run", lambda config, now=None: [*results, diverged])
    with pytest.raises(RuntimeError, match=r"1 closed window.*diverged.*public\.orders"):
        reconcile()


def test_reconcile_names_a_missing_snowflake_secret(dagbag: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    reconcile = task_callable(dagbag, "reconciliation", "reconcile", monkeypatch)
    config = {**CONFIG, "secrets": {}}
    monkeypatch.setitem(reconcile.__globals__, "pipeline_config", lambda: config)
    with pytest.raises(RuntimeError, match=r"secrets\.snowflake"):
        reconcile()


def test_data_quality_fails_when_the_check_finds_an_anomaly(dagbag: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    check = task_callable(dagbag, "data_quality", "check_anomalies", monkeypatch)
    monkeypatch.setattr(lambda_pipeline.data_quality, "run", lambda config, now=None: [])
    assert check() == len(CONFIG["tables"])

    def anomalous(config: dict, now: Any = None) -> list[dict]:
        raise RuntimeError("1 data-quality anomaly(ies): public.orders rows z=-4.2")

    monkeypatch.setattr(lambda_pipeline.data_quality, "run", anomalous)
    with pytest.raises(RuntimeError, match="anomaly"):
        check()
