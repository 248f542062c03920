"""Connectors: read export files and land them in DuckDB's raw schema (no Airflow here)."""
