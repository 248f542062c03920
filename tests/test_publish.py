"""Write-audit-publish: the published mart changes only by an atomic rename after the mart gate
passed; a kill at any point, or a failed gate, leaves the previous mart byte-for-byte untouched;
readers in another process never see an error or a partial mart; rollback restores the previous
publication."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from cxmart import publish
from cxmart.config import Settings

from conftest import TEST_KEY
from test_gate import write_centre

CXMART = str(Path(sys.executable).parent / "cxmart")
ROOT = Path(__file__).resolve().parent.parent


def _env(**extra) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CXMART_")}
    return {**base, "CXMART_PSEUDONYM_KEY": TEST_KEY, **extra}


def cli(*args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([CXMART, *args], capture_output=True, text=True, env=_env(**env), timeout=900)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published_run(home: Path) -> str:
    con = publish.open_published(Settings.resolve(home=home))
    try:
        runs = con.execute("select distinct run_id from mart._publication").fetchall()
        # every table holds the rows the publication says it holds
        for table, rows in con.execute("select table_name, row_count from mart._publication").fetchall():
            assert con.execute(f"select count(*) from {table}").fetchone()[0] == rows, table
        assert con.execute("select count(*) from mart.metric_values").fetchone()[0] > 0
    finally:
        con.close()
    assert len(runs) == 1
    return runs[0][0]


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A centre run once end to end: load, raw gate, dbt build, mart gate, publish."""
    h = tmp_path_factory.mktemp("publish") / "home"
    write_centre(h / "landing")
    res = cli("run", "--home", str(h))
    assert res.returncode == 0, res.stdout + res.stderr
    return h


@pytest.mark.parametrize("point", ["copy", "rename"])
def test_a_kill_during_publish_leaves_the_old_mart_intact(home, tmp_path, point):
    mart = home / "mart.duckdb"
    before, run_before = digest(mart), published_run(home)
    marker = tmp_path / "paused"
    proc = subprocess.Popen(
        [CXMART, "publish", "--home", str(home)],
        env=_env(CXMART_TEST_PUBLISH_PAUSE=f"{point}:{marker}"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "publish never reached the pause"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # the kill left a partial file behind, never at the mart's path
    assert list((home / "mart.duckdb.history").glob(".mart-*.partial*"))
    assert digest(mart) == before and published_run(home) == run_before

    res = cli("publish", "--home", str(home))
    assert res.returncode == 0, res.stdout + res.stderr
    assert published_run(home) != run_before
    assert not list((home / "mart.duckdb.history").glob(".mart-*.partial*"))


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    mart, stop = sys.argv[1], sys.argv[2]
    reads, errors, runs = 0, [], set()
    import os
    while not os.path.exists(stop):
        try:
            con = duckdb.connect(mart, read_only=True)
            try:
                pub = con.execute(
                    "select run_id, table_name, row_count from mart._publication"
                ).fetchall()
                runs.add(pub[0][0])
                tables = {t for _, t, _ in pub}
                if "mart.metric_values" not in tables or "reference.metric_definitions" not in tables:
                    errors.append(f"missing tables: {sorted(tables)}")
                for _, table, rows in pub:
                    n = con.execute(f"select count(*) from {table}").fetchone()[0]
                    if n != rows:
                        errors.append(f"{table}: {n} rows, publication says {rows}")
            finally:
                con.close()
            reads += 1
        except Exception as exc:
            errors.append(repr(exc))
    print(reads, len(runs), len(errors))
    for e in errors[:5]:
        print(e)
    """
)


def test_readers_never_see_an_error_or_a_partial_mart_while_runs_publish(home, tmp_path):
    stop = tmp_path / "stop"
    script = tmp_path / "reader.py"
    script.write_text(READER)
    reader = subprocess.Popen(
        [sys.executable, str(script), str(home / "mart.duckdb"), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(2):  # `cxmart run` publishes again and again
            res = cli("run", "--home", str(home))
            assert res.returncode == 0, res.stdout + res.stderr
        for _ in range(3):
            assert cli("publish", "--home", str(home)).returncode == 0
    finally:
        stop.write_text("")
        out, err = reader.communicate(timeout=60)
    reads, runs, errors = (int(x) for x in out.splitlines()[0].split())
    assert errors == 0, out + err
    assert reads > 20 and runs >= 2, out  # it read throughout, across several publications


def test_a_failed_mart_gate_publishes_nothing(home, tmp_path):
    mart = home / "mart.duckdb"
    before = digest(mart)
    settings = Settings.resolve(home=home)
    con = duckdb.connect(str(settings.warehouse))
    try:  # a proportion out of [0, 1] in the working mart
        con.execute(
            "update mart.metric_values set value = 1.5 where metric_id = 'voice_service_level' "
            "and unit_level = 'queue' and unit_id = 'QA' and period_grain = 'month'"
        )
    finally:
        con.close()
    res = cli("publish", "--home", str(home), COLUMNS="150")
    assert res.returncode == 1
    assert (
        "mart gate failed: outside_unit_interval in voice_service_level, queue:QA, 2026-03-01" in res.stderr
    )
    assert "nothing published" in res.stderr
    assert digest(mart) == before


def test_rollback_restores_the_previous_publication_and_history_keeps_n(home):
    for _ in range(2):
        subprocess.run([CXMART, "publish", "--home", str(home)], env=_env(), capture_output=True)
    # the warehouse's mart was broken by the previous test: republish a good one first
    res = cli("run", "--home", str(home))
    assert res.returncode == 0, res.stderr
    first = published_run(home)
    assert cli("publish", "--home", str(home), CXMART_KEEP_MARTS="3").returncode == 0
    second = published_run(home)
    history = sorted((home / "mart.duckdb.history").glob("mart-*.duckdb"))
    assert len(history) == 3 and second != first
    res = cli("publish", "--home", str(home), "--rollback")
    assert res.returncode == 0, res.stderr
    assert published_run(home) == first
    assert len(list((home / "mart.duckdb.history").glob("mart-*.duckdb"))) == 2


def test_each_publication_order_key_is_a_unique_key_dbt_tests():
    """publish.ORDER_KEYS orders a large table by its unique key instead of every column: only
    right while dbt tests that key (a build that fails it publishes nothing)."""
    import yaml

    tested: dict[str, set[tuple[str, ...]]] = {}
    for path in (ROOT / "dbt_project" / "models" / "marts").rglob("_*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            keys = tested.setdefault(model["name"], set())
            for test in model.get("data_tests", []):
                if isinstance(test, dict) and "unique_combination" in test:
                    keys.add(tuple(test["unique_combination"]["arguments"]["combination_of_columns"]))
            for column in model.get("columns", []):
                if "unique" in (column.get("data_tests") or []):
                    keys.add((column["name"],))
    for table, key in publish.ORDER_KEYS.items():
        assert key in tested.get(table, set()), f"{table}: {key} is not a unique key dbt tests"
