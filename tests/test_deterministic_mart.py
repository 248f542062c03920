"""The published mart is deterministic: the same night run three times, each in a fresh CXMART_HOME,
publishes tables whose rows, in the order they are stored, hash the same."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from cxmart import pipeline, publish
from cxmart.config import Settings
from cxmart.generator import generate

from conftest import TEST_KEY


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory) -> list[Path]:
    """One small generated centre (one landing), run end to end three times, a fresh home each time."""
    base = tmp_path_factory.mktemp("deterministic")
    landing = base / "landing"
    generate(landing, days=4, agents=16, sites=2, seed=11)
    marts = []
    for i in range(3):
        settings = Settings.resolve(home=base / f"home{i}", landing=landing)
        report, summary = pipeline.run(settings, TEST_KEY)
        assert not report.rejected and summary.success
        marts.append(settings.mart)
    return marts


def test_three_runs_of_one_night_publish_the_same_bytes_per_table(three_runs):
    sums = [publish.table_checksums(m) for m in three_runs]
    assert "main.metric_values" in sums[0] and "main.metric_status" in sums[0]
    assert sums[1] == sums[0]
    assert sums[2] == sums[0]


def test_published_rows_are_stored_in_the_order_of_all_their_columns_and_without_negative_zero(three_runs):
    con = duckdb.connect(str(three_runs[0]), read_only=True)
    try:
        for table in ("metric_values", "metric_status"):
            stored = con.execute(f"select * from main.{table}").fetchall()
            assert len(stored) > 0
            # Python's sort of the same tuples is the reference order (NULLs last, as DuckDB's
            # default), computed here independently of the publish code's SQL.
            assert stored == sorted(stored, key=lambda r: tuple((v is None, v) for v in r)), table
            doubles = [
                i
                for i, (_, t) in enumerate(
                    con.execute(f"select column_name, column_type from (describe main.{table})").fetchall()
                )
                if t == "DOUBLE"
            ]
            for row in stored:
                for i in doubles:
                    v = row[i]
                    assert not (v == 0 and math.copysign(1.0, v) < 0), (table, row)
    finally:
        con.close()


def _hand_made_warehouse(home: Path, rows: list[tuple]) -> Settings:
    settings = Settings.resolve(home=home)
    settings.home.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.warehouse))
    try:
        con.execute("create schema mart")
        con.execute("create table mart.metric_values (metric_id varchar, unit_id varchar, value double)")
        con.executemany("insert into mart.metric_values values (?, ?, ?)", rows)
    finally:
        con.close()
    return settings


def test_the_same_rows_in_another_order_and_with_negative_zero_publish_the_same_table(tmp_path):
    # Two warehouses holding the same three rows, inserted in opposite orders, one with -0.0 where
    # the other has 0.0 (equal for SQL, different bits): both publish rows sorted by every column,
    # the zero written as +0.0, so their checksums agree.
    rows = [("b", "Q1", 0.0), ("a", "Q2", 1.5), ("a", "Q1", None)]
    first = _hand_made_warehouse(tmp_path / "one", rows)
    second = _hand_made_warehouse(tmp_path / "two", [("b", "Q1", -0.0), *reversed(rows[1:])])
    published = [publish.publish(s, "r1").path for s in (first, second)]
    con = duckdb.connect(str(published[1]), read_only=True)
    try:
        stored = con.execute("select * from main.metric_values").fetchall()
    finally:
        con.close()
    assert stored == [("a", "Q1", None), ("a", "Q2", 1.5), ("b", "Q1", 0.0)]
    assert math.copysign(1.0, stored[2][2]) == 1.0
    sums = [publish.table_checksums(p) for p in published]
    assert set(sums[0]) == {"main.metric_values"}  # the bookkeeping table _publication left out
    assert sums[0] == sums[1]
