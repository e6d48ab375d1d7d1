"""Shared code of the pipeline's Spark jobs (speed, batch, raw-landing merge)."""
