"""Shared code of this pipeline's DAGs: configuration, reconciliation, alerts.

Kept out of DAG parsing by .airflowignore; the DAG files import it (the
repository root is on Airflow's Python path).
"""
