"""pytest setup for the DAG integrity test: parse this repository the way Airflow's DAG processor does.

The repository root is the DAG bundle (git-sync checks it out as the DAGs
folder), so it is on ``sys.path`` and ``lambda_pipeline`` imports. Airflow
needs no metadata database to parse DAGs; a throwaway AIRFLOW_HOME keeps the
test from writing ``~/airflow``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

if "AIRFLOW_HOME" not in os.environ:
    # A throw-away Airflow home for the test session, removed when it ends.
    _airflow_home = tempfile.mkdtemp(prefix="airflow-home-")
    atexit.register(shutil.rmtree, _airflow_home, ignore_errors=True)
    os.environ["AIRFLOW_HOME"] = _airflow_home
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO_ROOT))


def _refuse_network(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("a DAG file opened a network connection at parse time")


@pytest.fixture(scope="session")
def dagbag():
    """The repository parsed as the DAG processor parses it (.airflowignore applies), offline."""
    from airflow.dag_processing.dagbag import BundleDagBag

    with (
        mock.patch.object(socket.socket, "connect", _refuse_network),
        mock.patch.object(socket, "create_connection", _refuse_network),
    ):
        return BundleDagBag(dag_folder=REPO_ROOT, bundle_path=REPO_ROOT, bundle_name="dags-folder")
