"""Shared fixtures: a fresh CXMART_HOME per test and helpers to write landing files by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import duckdb
import pytest

from cxmart import pipeline
from cxmart.config import Settings
from cxmart.connectors import schema
from cxmart.connectors.loader import Loader

TEST_KEY = "test-key-0123456789abcdef"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    for var in ("CXMART_HOME", "CXMART_LANDING", "CXMART_WAREHOUSE", "CXMART_MART"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CXMART_PSEUDONYM_KEY", TEST_KEY)
    h = tmp_path / "home"
    (h / "landing").mkdir(parents=True)
    return h


@pytest.fixture
def settings(home) -> Settings:
    return Settings.resolve(home=home)


def csv_text(entity: str, rows: list[dict], header: list[str] | None = None) -> str:
    """A canonical CSV for `entity` with the given rows (missing columns left empty)."""
    cols = header or schema.entity(entity).column_names
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({c: r.get(c, "") for c in cols})
    return buf.getvalue()


def write(landing: Path, entity: str, name: str, content: str | bytes) -> Path:
    p = landing / entity / name
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content)
    return p


def load(landing: Path | str, warehouse: Path, key: str = TEST_KEY):
    """Run the real loader against a real DuckDB file; returns the LoadReport."""
    con = duckdb.connect(str(warehouse))
    try:
        return Loader(con, str(landing), key).load_all()
    finally:
        con.close()


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def built_mart(home: Path):
    """Run the real load and `dbt build` stages on `home`'s landing and yield a read-only
    connection to its warehouse: the body of every hand-made-centre mart fixture.

    The gates are left out on purpose: a hand-made centre holds only what its metric rule
    needs (surveys without their contacts, a few days of one queue), which the completeness
    gate rightly calls incomplete. The gates have their own tests (test_gate, test_publish)."""
    settings = Settings.resolve(home=home)
    report = pipeline.load(settings, TEST_KEY)
    assert not report.rejected, [r.message for r in report.rejected]
    assert report.quarantined == 0
    summary = pipeline.build(settings)
    assert summary.success, summary.failures
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        yield con
    finally:
        con.close()


def metric(con, metric_id: str, level: str, unit: str, grain: str, start: str):
    """(numerator, denominator, value, is_countable, not_countable_reason) of one mart row."""
    return con.execute(
        "select numerator, denominator, value, is_countable, not_countable_reason "
        "from mart.metric_values where metric_id = ? and unit_level = ? and unit_id = ? "
        "and period_grain = ? and period_start = ?",
        [metric_id, level, unit, grain, dt.date.fromisoformat(start)],
    ).fetchone()


DAGS = Path(__file__).resolve().parents[1] / "dags"


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory):
    """A throw-away Airflow for the DAG tests: its own AIRFLOW_HOME and SQLite metadata database
    (`airflow db migrate`), the DAGs folder of this checkout, the pool `cxmart_warehouse` (one slot),
    and a dbt manifest built for the DAG to render from (`pipeline.build_manifest`, as `cxmart
    manifest` does). Airflow reads its configuration when first imported, so nothing imports it
    before this fixture runs. Yields the environment it set."""
    import os
    import subprocess
    import sys

    base = tmp_path_factory.mktemp("airflow")
    env = {
        "AIRFLOW_HOME": str(base / "home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "SCARF_NO_ANALYTICS": "true",
        "CXMART_DBT_MANIFEST": str(base / "dbt_target" / "manifest.json"),
    }
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    airflow = str(Path(sys.executable).parent / "airflow")
    res = subprocess.run([airflow, "db", "migrate"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    settings = Settings.resolve(home=base / "manifest-home")
    pipeline.build_manifest(settings, base / "dbt_target")
    from airflow.models.pool import Pool

    from cxmart.nightly import POOL, POOL_DESCRIPTION

    Pool.create_or_update_pool(POOL, 1, POOL_DESCRIPTION, include_deferred=False)
    assert os.environ["AIRFLOW_HOME"] == env["AIRFLOW_HOME"]
    yield env
    mp.undo()
