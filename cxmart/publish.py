"""Write-audit-publish of the mart: copy the audited mart out of the working warehouse into a new
DuckDB file and rename it atomically over `mart.duckdb`, keeping the last N published marts for rollback.

The published file is never written in place. Each publication is built as a hidden
`.partial` file in the history folder next to the mart (`<mart>.history/`), completed,
checkpointed, closed and fsynced; only then is it renamed into the history and a hard link
of it is renamed over the mart path with `os.replace` (one atomic rename on POSIX). A crash
or a kill at any moment leaves either the old mart or the new one at that path, never a
partial file, and never touches the old file's bytes. Readers open the mart read-only
(`open_published`); a reader that opened the old file keeps reading it after the rename.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .config import Settings

# What BI and scoring read: every table dbt built in these schemas (the mart and the reference
# seeds it needs, e.g. the metric dictionary), and the schema each lands in inside the published
# file. The mart's tables go to the file's default schema `main`, so that in `mart.duckdb` opened
# directly (DuckDB names the catalog after the file: `mart`) both `metric_values` and
# `mart.metric_values` resolve, exactly as in the working warehouse (DECISIONLOG "The Published
# Mart Keeps Its Tables in main").
PUBLISHED_SCHEMAS = {"mart": "main", "reference": "reference"}
PUBLICATION_TABLE = "main._publication"
ENV_KEEP = "CXMART_KEEP_MARTS"
DEFAULT_KEEP = 5
# Test-only: `<point>:<marker file>` makes publish write the marker and sleep at that point
# ('copy': halfway through copying; 'rename': the new file complete, before the rename), so a
# test can kill the process there.
ENV_PAUSE = "CXMART_TEST_PUBLISH_PAUSE"


# The unique key of each large published table (its dbt unique test, checked by
# tests/test_publish.py): ordering by it is as total as ordering by every column, and at the L
# preset a third cheaper (fct_voice_segments, 8.2 M rows: 23 s against 35 s). Other tables are
# ordered by every column.
ORDER_KEYS = {
    "fct_voice_segments": ("contact_id", "segment_id"),
    "fct_voice_contacts": ("contact_id",),
    "fct_chat_sessions": ("chat_id",),
    "fct_tickets": ("ticket_id",),
    "fct_cases": ("case_id",),
    "metric_values": ("metric_id", "unit_level", "unit_id", "period_grain", "period_start"),
}


class PublishError(Exception):
    """Nothing was published; the message says why."""


@dataclass
class Publication:
    run_id: str
    path: Path  # the history entry (the mart path is a hard link of it)
    tables: dict[str, int]  # schema.table -> rows


def history_dir(settings: Settings) -> Path:
    return settings.mart.with_name(settings.mart.name + ".history")


def keep_setting() -> int:
    raw = os.environ.get(ENV_KEEP, "")
    try:
        keep = int(raw) if raw else DEFAULT_KEEP
    except ValueError:
        raise PublishError(f"{ENV_KEEP} must be a whole number of marts to keep, not {raw!r}") from None
    if keep < 1:
        raise PublishError(f"{ENV_KEEP} must be at least 1")
    return keep


def open_published(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published mart, attached as catalog `mart` (whatever the
    file is called), so `mart.metric_values` and `reference.metric_definitions` resolve."""
    if not settings.mart.is_file():
        raise PublishError(f"no published mart at {settings.mart}: run `cxmart run` first")
    con = duckdb.connect()
    con.execute(f"attach '{_sql_path(settings.mart)}' as mart (read_only)")
    con.execute("use mart")
    return con


def history(settings: Settings) -> list[Path]:
    """Published marts kept for rollback, oldest first (names sort by publication time)."""
    h = history_dir(settings)
    return sorted(h.glob("mart-*.duckdb")) if h.is_dir() else []


def publish(settings: Settings, run_id: str, keep: int | None = None) -> Publication:
    """Copy the working warehouse's mart into a new file and make it the published mart."""
    keep = keep or keep_setting()
    if not settings.warehouse.is_file():
        raise PublishError(f"no working warehouse at {settings.warehouse}: run the pipeline first")
    hist = history_dir(settings)
    hist.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(settings)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = hist / f"mart-{stamp}-{run_id}.duckdb"
    partial = hist / f".{final.name}.partial"
    tables = _write_copy(settings, partial, run_id)
    _fsync(partial)
    _pause("rename")
    os.replace(partial, final)
    _fsync(hist)
    _point_mart_at(settings, final, run_id)
    for old in history(settings)[:-keep]:
        old.unlink(missing_ok=True)
    return Publication(run_id, final, tables)


def rollback(settings: Settings) -> Path:
    """Publish again the mart published before the current one; the current one leaves the history."""
    entries = history(settings)
    current = [p for p in entries if settings.mart.exists() and os.path.samefile(p, settings.mart)]
    if not current:
        raise PublishError(f"{settings.mart} is not one of the kept publications; nothing to roll back to")
    i = entries.index(current[-1])
    if i == 0:
        raise PublishError("no earlier published mart is kept; nothing to roll back to")
    target = entries[i - 1]
    _point_mart_at(settings, target, "rollback")
    for newer in entries[i:]:
        newer.unlink(missing_ok=True)
    return target


def _write_copy(settings: Settings, partial: Path, run_id: str) -> dict[str, int]:
    """The mart schemas of the warehouse, copied into a new DuckDB file; rows per table."""
    warehouse = settings.warehouse
    for p in (partial, partial.with_name(partial.name + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(partial))
    try:
        settings.duckdb.apply(con)
        con.execute(f"attach '{_sql_path(warehouse)}' as wh (read_only)")
        wanted = ", ".join(f"'{s}'" for s in PUBLISHED_SCHEMAS)
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            f"where database_name = 'wh' and schema_name in ({wanted}) order by 1, 2"
        ).fetchall()
        if not any(s == "mart" for s, _ in names):
            raise PublishError(f"the working warehouse {warehouse} has no mart tables: run dbt build first")
        tables: dict[str, int] = {}
        for n, (schema, table) in enumerate(names):
            into = PUBLISHED_SCHEMAS[schema]
            con.execute(f"create schema if not exists {into}")
            con.execute(f'create table {into}."{table}" as {_ordered_select(con, f"wh.{schema}", table)}')
            tables[f"{schema}.{table}"] = con.execute(f'select count(*) from {into}."{table}"').fetchone()[0]
            if n == 0:
                _pause("copy")
        con.execute(
            f"create table {PUBLICATION_TABLE} (run_id varchar, published_at timestamptz, "
            "table_name varchar, row_count bigint)"
        )
        con.executemany(
            f"insert into {PUBLICATION_TABLE} values (?, now(), ?, ?)",
            [[run_id, t, rows] for t, rows in tables.items()],
        )
        con.execute("detach wh")
        con.execute("checkpoint")
    finally:
        con.close()
    return tables


def _ordered_select(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """The table's rows in one fixed order, -0.0 written as 0.0 (DECISIONLOG "The Published Mart
    Is Deterministic").

    dbt builds tables with parallel threads, so the working warehouse's row order, and with it
    the published file's bytes, changed from run to run; and -0.0 equals 0.0 for `except all`
    but not for a checksum. Ordering by every column (after normalising) is a total order up to
    identical rows, so two runs that computed the same rows write them in the same order; a
    table's unique key (`ORDER_KEYS`, which dbt has tested before anything is published) is
    a total order too, and cheaper.
    """
    catalog, sch = schema.split(".")
    cols = con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? "
        "and schema_name = ? and table_name = ? order by column_index",
        [catalog, sch, table],
    ).fetchall()
    parts = []
    for name, data_type in cols:
        ident = '"' + name.replace('"', '""') + '"'
        if data_type in ("DOUBLE", "FLOAT", "REAL"):
            # -0.0 = 0 is true, so both zeros become 0.0; NaN and NULL pass through.
            parts.append(f"case when {ident} = 0 then cast(0 as {data_type}) else {ident} end as {ident}")
        else:
            parts.append(ident)
    key = ORDER_KEYS.get(table) if sch == "mart" else None
    order = ", ".join('"' + k + '"' for k in key) if key else "all"
    return f'select {", ".join(parts)} from {schema}."{table}" order by {order}'


def table_checksums(path: Path) -> dict[str, str]:
    """SHA-256 of each published table's rows in the order they are stored (`schema.table` ->
    hex digest), the bookkeeping table `_publication` (run id, time) left out. Two publications of
    the same data give the same digests, table by table."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
            "and not (schema_name = 'main' and table_name = '_publication') order by 1, 2"
        ).fetchall()
        out = {}
        for schema, table in names:
            h = hashlib.sha256()
            cur = con.execute(f'select * from {schema}."{table}"')
            while batch := cur.fetchmany(10_000):
                for row in batch:
                    h.update(repr(row).encode())
                    h.update(b"\n")
            out[f"{schema}.{table}"] = h.hexdigest()
        return out
    finally:
        con.close()


def _point_mart_at(settings: Settings, entry: Path, tag: str) -> None:
    """Atomically make `entry` the published mart: a hard link (or a copy) renamed over the path."""
    mart = settings.mart
    tmp = mart.with_name(f".{mart.name}.{tag}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(entry, tmp)
    except OSError:  # another file system, or no hard links: a full copy, then the same rename
        shutil.copyfile(entry, tmp)
        _fsync(tmp)
    os.replace(tmp, mart)
    _fsync(mart.parent)


def _remove_leftovers(settings: Settings) -> None:
    """Partial files of a publication that was killed or crashed (never the mart itself)."""
    for p in history_dir(settings).glob(".mart-*.partial*"):
        p.unlink(missing_ok=True)
    for p in settings.mart.parent.glob(f".{settings.mart.name}.*.tmp"):
        p.unlink(missing_ok=True)


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pause(point: str) -> None:
    spec = os.environ.get(ENV_PAUSE, "")
    if not spec.startswith(point + ":"):
        return
    Path(spec.split(":", 1)[1]).write_text(str(os.getpid()))
    time.sleep(60)
