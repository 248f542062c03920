"""The Spark engine's two hand-overs with the DuckDB warehouse: the raw tables out as Parquet for dbt
on Spark to read, and the tables dbt built on Spark back into the warehouse's mart schemas, where
the mart gate, publication and the scorecard read them as they read a DuckDB build.

Everything else is shared: the loader and the gates run on DuckDB either way, and the metric logic
is the same dbt project (its engine-specific SQL behind dispatch macros, dbt_project/macros/).
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

from .config import Settings

# pyspark warns once that it has not been tested with pandas 3; dbt-spark's SQL never uses pandas.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)

# The dbt sources (dbt_project/models/staging/*/_*__sources.yml): every canonical raw entity and the
# raw gate's results. The loader's bookkeeping (manifest, quarantine, changes) stays in DuckDB.
AUDIT_SOURCES = ("validation_results",)
# The schemas whose tables the pipeline publishes (cxmart.publish.PUBLISHED_SCHEMAS), copied back.
BUILT_SCHEMAS = ("mart", "reference")
# Parquet has no DuckDB TIME Spark can read, nor JSON: written as text ('08:00:00', '24:00:00').
_AS_TEXT = ("TIME", "JSON")


def source_tables() -> list[tuple[str, str]]:
    """(schema, table) of every dbt source, in a fixed order."""
    from .connectors import schema

    return [("raw", e.name) for e in schema.ENTITIES] + [("audit", t) for t in AUDIT_SOURCES]


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")


def export_raw(settings: Settings) -> dict[str, int]:
    """Write every dbt source table of the working warehouse as Parquet under
    `<spark sources>/<schema>/<table>/data.parquet`, replacing what an earlier export wrote; rows
    per table. Timestamps stay instants (Parquet TIMESTAMP adjusted to UTC)."""
    from .connectors.loader import ensure_raw_schema
    from .gate import ensure_audit_schema

    root = settings.spark_sources
    con = settings.connect()
    try:
        ensure_raw_schema(con)
        ensure_audit_schema(con)
        counts: dict[str, int] = {}
        for schema_name, table in source_tables():
            cols = con.execute(
                "select column_name, data_type from duckdb_columns() where schema_name = ? "
                "and table_name = ? and database_name = current_database() order by column_index",
                [schema_name, table],
            ).fetchall()
            select = ", ".join(
                f'cast("{c}" as varchar) as "{c}"' if t in _AS_TEXT else f'"{c}"' for c, t in cols
            )
            folder = root / schema_name / table
            partial = folder.with_name(f".{table}.partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            # COPY answers with the number of rows it wrote
            counts[f"{schema_name}.{table}"] = con.execute(
                f"copy (select {select} from {schema_name}.{table}) "
                f"to '{_sql_path(partial / 'data.parquet')}' (format parquet)"
            ).fetchone()[0]
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(partial, folder)
        return counts
    finally:
        con.close()


def import_built(settings: Settings) -> dict[str, int]:
    """Replace the warehouse's mart and reference tables by those dbt built on Spark (the Parquet
    folders of Spark's warehouse, `<schema>.db/<table>/`); rows per table. Spark writes instants
    as TIMESTAMPTZ and local wall-clock times as TIMESTAMP, strings as VARCHAR, like DuckDB.

    The tables a DuckDB build left in the intermediate schema (its incremental working days and
    backlog snapshots) are dropped: the raw changes this build read are published with it, so a
    later DuckDB build must build those in full rather than add to tables that missed them."""
    root = settings.spark_warehouse
    con = settings.connect()
    try:
        for (old,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'intermediate' "
            "and database_name = current_database()"
        ).fetchall():
            con.execute(f'drop table intermediate."{old}"')
        counts: dict[str, int] = {}
        for schema_name in BUILT_SCHEMAS:
            folder = root / f"{schema_name}.db"
            tables = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
            con.execute(f"create schema if not exists {schema_name}")
            for (old,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = ? "
                "and database_name = current_database()",
                [schema_name],
            ).fetchall():
                con.execute(f'drop table {schema_name}."{old}"')
            for (old,) in con.execute(
                "select view_name from duckdb_views() where schema_name = ? "
                "and database_name = current_database() and not internal",
                [schema_name],
            ).fetchall():
                con.execute(f'drop view {schema_name}."{old}"')
            for table in tables:
                files = _sql_path(folder / table / "*.parquet")
                # CREATE TABLE AS answers with the number of rows it inserted
                counts[f"{schema_name}.{table}"] = con.execute(
                    f"create table {schema_name}.\"{table}\" as select * from read_parquet('{files}')"
                ).fetchone()[0]
        return counts
    finally:
        con.close()


class SparkUnavailable(Exception):
    """The spark engine cannot run here; the message says what to install."""


def require_runtime() -> None:
    """SparkUnavailable unless dbt-spark with pyspark and a Java runtime are installed."""
    import importlib.util

    missing = [m for m in ("pyspark", "dbt.adapters.spark") if importlib.util.find_spec(m) is None]
    if missing:
        raise SparkUnavailable(
            f"the spark engine needs {' and '.join(missing)}: pip install -c constraints.txt -e '.[spark]'"
        )
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise SparkUnavailable(
            "the spark engine needs a Java 17 runtime (java on PATH or JAVA_HOME), e.g. "
            "apt-get install openjdk-17-jre-headless"
        )


def stop_session() -> None:
    """End the Spark session dbt-spark started in this process, and its JVM: the next build starts
    from an empty in-memory catalog, as its first did, and the driver's memory is given back before
    the mart gate and publication run. (pyspark keeps its gateway to the JVM in SparkContext's
    class attributes; with them cleared, the next session launches a JVM of its own.)"""
    import sys

    if "pyspark" not in sys.modules:
        return
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    # dbt ran its queries on worker threads: the session is active there, not necessarily here
    session = SparkSession.getActiveSession() or SparkSession._instantiatedSession
    if session is not None:
        session.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        proc = getattr(gateway, "proc", None)
        if proc is not None:  # the JVM exits when its stdin closes
            proc.stdin.close()
            proc.wait(timeout=120)
        SparkContext._gateway = None
        SparkContext._jvm = None
