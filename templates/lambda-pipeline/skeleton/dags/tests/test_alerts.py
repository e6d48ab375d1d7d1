"""The alerts the DAGs raise: the failure notifier and the Deadline Alert callback log and post them.

A webhook on 127.0.0.1 stands in for the team's chat or incident tool.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest
from airflow.sdk import DAG

from lambda_pipeline.alerts import LOG_PREFIX, WEBHOOK_ENV, FailureNotifier, deadline_missed


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict]]:
    """The JSON bodies POSTed to a local webhook, which LP_ALERT_WEBHOOK_URL points at."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:{server.server_port}/hooks/alerts")
    yield received
    server.shutdown()
    server.server_close()


def failed_task_context() -> dict:
    return {
        "dag": DAG("orders_reconciliation", schedule=None),
        "ti": SimpleNamespace(task_id="reconcile", try_number=2),
        "run_id": "scheduled__2026-11-25T10:00:00+00:00",
        "exception": RuntimeError("1 closed window(s) differ between ClickHouse and Snowflake"),
    }


def test_failure_notifier_logs_and_posts_the_failure(
    webhook: list[dict], caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.ERROR):
        FailureNotifier("orders", "reconciliation")(failed_task_context())

    assert len(webhook) == 1
    alert = webhook[0]
    assert alert["kind"] == "failure" and alert["pipeline"] == "orders" and alert["layer"] == "reconciliation"
    assert (alert["dag_id"], alert["task_id"], alert["try_number"]) == ("orders_reconciliation", "reconcile", 2)
    assert "closed window(s) differ" in alert["error"] and "reconcile" in alert["text"]
    # Airflow's structlog writes the line to stdout here (to the task log in a worker).
    output = capsys.readouterr()
    lines = [r.getMessage() for r in caplog.records] + (output.out + output.err).splitlines()
    logged = [line[line.index(LOG_PREFIX) :] for line in lines if LOG_PREFIX + " {" in line]
    assert len(logged) == 1, lines
    assert '"kind": "failure"' in logged[0] and '"task_id": "reconcile"' in logged[0]


def test_deadline_callback_posts_the_late_run(webhook: list[dict]) -> None:
    # What Airflow passes: the kwargs the DAG gave its AsyncCallback, plus a context.
    context = {
        "dag_run": {"dag_id": "orders_batch_load", "dag_run_id": "scheduled__x", "state": "running"},
        "deadline": {"id": "1", "deadline_time": "2026-11-25T11:00:00+00:00"},
    }
    asyncio.run(deadline_missed(context=context, pipeline="orders", layer="batch", expectation="done in 60 minutes"))

    assert len(webhook) == 1
    alert = webhook[0]
    assert alert["kind"] == "deadline-missed" and alert["dag_id"] == "orders_batch_load"
    assert alert["deadline"] == "2026-11-25T11:00:00+00:00" and "done in 60 minutes" in alert["text"]


def test_an_unreachable_webhook_does_not_fail_the_callback(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:{port}/hooks/alerts")

    FailureNotifier("orders", "batch").notify(failed_task_context())
