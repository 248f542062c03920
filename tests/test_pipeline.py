"""The pipeline end to end on a small generated centre: real loader, real DuckDB file, real `dbt build`,
and the CLI as a user runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cxmart import pipeline
from cxmart.config import Settings
from cxmart.connectors import schema
from cxmart.generator import generate

from conftest import TEST_KEY, write

CXMART = str(Path(sys.executable).parent / "cxmart")


@pytest.fixture(scope="module")
def small_centre(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("centre") / "landing"
    generate(landing, days=4, agents=16, sites=2, seed=11)
    return landing


def test_run_loads_and_builds_every_staging_model(small_centre, tmp_path):
    settings = Settings.resolve(home=tmp_path / "home", landing=small_centre)
    report, summary = pipeline.run(settings, TEST_KEY)

    assert not report.rejected and report.quarantined == 0
    assert summary.success, summary.failures
    assert summary.counts["model"] > len(schema.ENTITIES)  # every staging model, and more
    # dbt's settings do not outlive the build: the next run resolves its own warehouse.
    assert "CXMART_WAREHOUSE" not in os.environ
    assert summary.counts["test"] > len(schema.ENTITIES)

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        for e in schema.ENTITIES:
            raw = con.execute(f"select count(*) from raw.{e.name}").fetchone()[0]
            stg = con.execute(f"select count(*) from staging.{schema.staging_model_name(e)}").fetchone()[0]
            assert raw == stg, e.name
            loaded = sum(f.rows for f in report.files if f.entity == e.name)
            assert raw == loaded, e.name
        # The sample centre has data for every entity.
        empty = [
            e.name
            for e in schema.ENTITIES
            if not con.execute(f"select count(*) from raw.{e.name}").fetchone()[0]
        ]
        assert empty == []
    finally:
        con.close()

    # A second night over the same landing: nothing new, nothing doubled, build still green.
    report2, summary2 = pipeline.run(settings, TEST_KEY)
    assert sum(f.rows for f in report2.files) == 0
    assert {f.status for f in report2.files} == {"unchanged"}
    assert summary2.success


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CXMART_")}
    return subprocess.run(
        [CXMART, *args], capture_output=True, text=True, env={**base, **(env or {})}, timeout=600
    )


def test_cli_demo_generates_loads_builds_and_summarises(tmp_path):
    home = tmp_path / "demo"
    res = _cli("demo", "--home", str(home), "--days", "2", "--agents", "10")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "acd_contacts" in out and "Loaded" in out
    assert re.search(r"dbt build: \d+ models, \d+ seeds, \d+ tests, \d+ unit_tests", out)
    assert "demo complete" in out
    # it ends with the scorecard of the published mart and its HTML report (or says why it has none)
    if "COPC scorecard" in out:
        assert (home / "reports" / "scorecard.html").is_file() and "report: " in out
    else:
        assert "no scorecard: " in out
    assert (home / "landing" / "acd_contacts").is_dir()
    assert (home / "warehouse.duckdb").is_file()

    # Another sample in the same home starts clean: only the new sample's rows are loaded.
    res = _cli("demo", "--home", str(home), "--days", "1", "--agents", "6", "--seed", "3")
    assert res.returncode == 0, res.stderr
    expected = generate(tmp_path / "expected", days=1, agents=6, sites=2, seed=3)
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        for entity, n in expected.items():
            assert con.execute(f"select count(*) from raw.{entity}").fetchone()[0] == n, entity
    finally:
        con.close()


def test_cli_run_without_a_key_fails_with_one_clear_line(tmp_path):
    res = _cli("run", "--home", str(tmp_path))
    assert res.returncode == 2
    assert res.stderr.strip().startswith("cxmart: CXMART_PSEUDONYM_KEY is not set")
    assert len(res.stderr.strip().splitlines()) == 1


def test_cli_run_stops_at_a_rejected_file_with_a_one_line_reason(tmp_path):
    home = tmp_path / "home"
    write(home / "landing", "acd_contacts", "calls.csv", b"\x00\x01binary")
    res = _cli("run", "--home", str(home), env={"CXMART_PSEUDONYM_KEY": TEST_KEY})
    assert res.returncode == 1
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("cxmart: load failed: ") and "calls.csv: rejected" in last
    assert "dbt build" not in res.stdout


def test_cli_paths_follow_flag_then_env_then_home(tmp_path, small_centre):
    home = tmp_path / "home"
    env = {"CXMART_PSEUDONYM_KEY": TEST_KEY, "CXMART_LANDING": str(small_centre)}
    res = _cli("load", "--home", str(home), "--warehouse", str(tmp_path / "flag.duckdb"), env=env)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "flag.duckdb").is_file() and not (home / "warehouse.duckdb").exists()
    env["CXMART_WAREHOUSE"] = str(tmp_path / "env.duckdb")
    assert _cli("load", "--home", str(home), env=env).returncode == 0
    assert (tmp_path / "env.duckdb").is_file() and not (home / "warehouse.duckdb").exists()


def test_every_command_has_help():
    for cmd in ("generate", "load", "run", "demo", "score", "report"):
        res = _cli(cmd, "--help")
        assert res.returncode == 0 and "--home" in res.stdout, cmd
    assert "--landing" in _cli("run", "--help").stdout
    assert "--landing" in _cli("load", "--help").stdout


def test_cli_demo_never_loads_exports_it_did_not_write(tmp_path):
    home = tmp_path / "home"
    write(home / "landing", "acd_contacts", "real_calls.csv", "contact_id\n1\n")
    res = _cli("demo", "--home", str(home), "--days", "1", "--agents", "4")
    assert res.returncode == 1
    assert "holds exports that `cxmart demo` did not write" in res.stderr
    assert not (home / "warehouse.duckdb").exists()
    assert (home / "landing" / "acd_contacts" / "real_calls.csv").exists()


def test_cli_run_on_a_missing_landing_fails_with_one_line(tmp_path):
    res = _cli("run", "--home", str(tmp_path / "nowhere"), env={"CXMART_PSEUDONYM_KEY": TEST_KEY})
    assert res.returncode == 1
    assert res.stderr.strip().splitlines()[-1].startswith("cxmart: load failed: landing location")
    assert "Traceback" not in res.stderr


def test_a_dbt_failure_reason_is_one_plain_line():
    raw = "\x1b[32mactual\x1b[0m differs from\n  \x1b[31mexpected\x1b[0m: 3 rows"
    assert pipeline._one_line(raw) == "actual differs from expected: 3 rows"
