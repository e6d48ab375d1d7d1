"""How this pipeline's DAGs raise the alarm.

Airflow 3 removed SLAs; two mechanisms replace them here:

* ``FailureNotifier``: the ``on_failure_callback`` of every DAG and task. A
  task failure carries the exception (for example the windows reconciliation
  found diverged), a DAG-run failure the run that failed.
* ``deadline_missed``: the callback of the Deadline Alerts (a batch load or a
  reconciliation that has not finished in time). The DAGs reference it by its
  import path, ``DEADLINE_CALLBACK``; the triggerer imports and awaits it. A
  callback defined in a DAG file would be stored under the module name the DAG
  processor gives that file (``unusual_prefix_...``), which nothing else can
  import, and Airflow would only log that at DEBUG level when the deadline is
  missed. So it lives here, and the triggerer needs this repository on its
  ``PYTHONPATH`` (the Airflow values of the platform repository set it).

Both write one structured log line (``LAMBDA_PIPELINE_ALERT {json}``, easy to
match in a log pipeline) and, when a webhook is configured, POST the same
JSON to it (Slack-compatible: it has a ``text`` field). The URL comes from the
Airflow Variable ``lambda_pipeline_alert_webhook_url`` (also settable as the
environment variable ``AIRFLOW_VAR_LAMBDA_PIPELINE_ALERT_WEBHOOK_URL``, for
example from a Kubernetes Secret) or from ``LP_ALERT_WEBHOOK_URL``. It is never
written in this repository. A webhook that fails is logged, never raised: an
alert must not fail the callback that reports the original problem.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from typing import Any

from airflow.sdk.bases.notifier import BaseNotifier

WEBHOOK_VARIABLE = "lambda_pipeline_alert_webhook_url"
WEBHOOK_ENV = "LP_ALERT_WEBHOOK_URL"
WEBHOOK_TIMEOUT_SECONDS = 10
LOG_PREFIX = "LAMBDA_PIPELINE_ALERT"

# Import path of the Deadline Alert callback, for AsyncCallback(DEADLINE_CALLBACK, ...).
DEADLINE_CALLBACK = "lambda_pipeline.alerts.deadline_missed"

log = logging.getLogger(__name__)


def webhook_url() -> str | None:
    """The alert webhook, if one is configured (Airflow Variable first, then the environment)."""
    try:
        from airflow.sdk import Variable

        url = Variable.get(WEBHOOK_VARIABLE, default=None)
    except Exception:  # noqa: BLE001 - no Airflow API to ask (tests, a plain Python shell)
        url = None
    return url or os.environ.get(WEBHOOK_ENV) or None


def post_webhook(url: str, payload: dict[str, Any]) -> None:
    """POSTs the alert as JSON; logs (and swallows) any failure."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, default=str).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read()
    except Exception as error:  # noqa: BLE001 - see the module docstring
        # The URL may embed a token: log the host only.
        host = urllib.parse.urlsplit(url).hostname
        log.warning("alert webhook at %s failed: %s", host, error)


def emit(payload: dict[str, Any], logger: logging.Logger = log) -> None:
    """Writes the structured alert line and sends it to the webhook, if any."""
    logger.error("%s %s", LOG_PREFIX, json.dumps(payload, default=str, sort_keys=True))
    url = webhook_url()
    if url:
        post_webhook(url, payload)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class FailureNotifier(BaseNotifier):
    """``on_failure_callback`` of the pipeline's DAGs and tasks.

    ``FailureNotifier(pipeline="orders", layer="batch")``: the pipeline and
    layer name the alert, so one webhook can serve every pipeline.
    """

    def __init__(self, pipeline: str, layer: str):
        super().__init__()
        self.pipeline = pipeline
        self.layer = layer

    def payload(self, context: Any) -> dict[str, Any]:
        """The alert as JSON-ready data, from a task or DAG-run failure context."""
        dag_run = context.get("dag_run")
        ti = context.get("ti") or context.get("task_instance")
        dag = context.get("dag")
        dag_id = getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", None)
        exception = context.get("exception")
        reason = context.get("reason")
        task_id = getattr(ti, "task_id", None)
        what = f"task {task_id}" if task_id else "DAG run"
        detail = str(exception) if exception else (str(reason) if reason else "")
        return {
            "kind": "failure",
            "pipeline": self.pipeline,
            "layer": self.layer,
            "dag_id": dag_id,
            "run_id": context.get("run_id") or getattr(dag_run, "run_id", None),
            "task_id": task_id,
            "try_number": getattr(ti, "try_number", None),
            "logical_date": _iso(context.get("logical_date")),
            "error": detail[:4000],
            "at": datetime.now(UTC).isoformat(),
            "text": f"[{self.pipeline}] {what} of {dag_id} failed" + (f": {detail[:500]}" if detail else ""),
        }

    def notify(self, context: Any) -> None:
        emit(self.payload(context), self.log)


async def deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Deadline Alert callback (run by the triggerer; see the module docstring).

    ``kwargs`` are the ones the DAG gave its ``AsyncCallback`` (``pipeline``,
    ``layer``, ``expectation``); Airflow adds ``context`` with the DAG run
    (``dag_run``) and the deadline (``deadline.deadline_time``).
    """
    context = context or {}
    dag_run = context.get("dag_run") or {}
    deadline = context.get("deadline") or {}
    pipeline = kwargs.get("pipeline")
    dag_id = dag_run.get("dag_id")
    run_id = dag_run.get("dag_run_id") or dag_run.get("run_id")
    expectation = kwargs.get("expectation", "not finished in time")
    payload = {
        "kind": "deadline-missed",
        "pipeline": pipeline,
        "layer": kwargs.get("layer"),
        "dag_id": dag_id,
        "run_id": run_id,
        "state": dag_run.get("state"),
        "queued_at": dag_run.get("queued_at"),
        "deadline": _iso(deadline.get("deadline_time")),
        "at": datetime.now(UTC).isoformat(),
        "text": f"[{pipeline}] {dag_id} run {run_id} missed its deadline: {expectation}",
    }
    # The triggerer runs many callbacks on one event loop: keep the blocking
    # Variable lookup and HTTP call off it.
    await asyncio.to_thread(emit, payload)
