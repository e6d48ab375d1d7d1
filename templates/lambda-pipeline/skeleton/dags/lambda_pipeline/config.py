"""The pipeline as the DAGs see it: ``pipeline.json`` at the root of this repository.

Written by the template from the pipeline spec (the same file the Spark jobs
read), so no DAG re-derives a topic, table or schedule.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

CONFIG_PATH = Path(__file__).resolve().parent.parent / "pipeline.json"


@lru_cache(maxsize=1)
def pipeline_config(path: str | None = None) -> dict[str, Any]:
    """The parsed pipeline.json (cached: DAG files call this at parse time)."""
    with open(path or CONFIG_PATH, encoding="utf-8") as handle:
        return json.load(handle)
