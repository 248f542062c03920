"""DuckDB's memory limit, threads and spill folder: read once (cxmart.config), applied to every
connection the pipeline opens on the working warehouse and to dbt's (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cxmart import pipeline
from cxmart.config import ConfigError, Settings

SHOW = (
    "select current_setting('memory_limit') as memory_limit, current_setting('threads') as threads, "
    "current_setting('temp_directory') as temp_directory"
)


def _as_duckdb_shows(memory: str) -> str:
    """How DuckDB reports a memory limit once set ('3GB' reads back as '2.7 GiB')."""
    con = duckdb.connect()
    try:
        con.execute(f"set memory_limit = '{memory}'")
        return con.execute("select current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()


def _shown(con) -> tuple:
    return con.execute(SHOW).fetchone()


def test_pipeline_connections_carry_the_defaults(settings, monkeypatch):
    monkeypatch.delenv("CXMART_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("CXMART_DUCKDB_THREADS", raising=False)
    settings = Settings.resolve(home=settings.home)
    spill = settings.home / "tmp" / "duckdb"
    with pipeline.warehouse(settings) as con:
        assert _shown(con) == (_as_duckdb_shows("3GB"), os.cpu_count(), str(spill))
    with pipeline.warehouse(settings, read_only=True) as con:
        assert _shown(con) == (_as_duckdb_shows("3GB"), os.cpu_count(), str(spill))
    assert spill.is_dir()


def test_env_vars_set_the_pipeline_and_dbt_connections(home, monkeypatch):
    monkeypatch.setenv("CXMART_DUCKDB_MEMORY_LIMIT", "700MB")
    monkeypatch.setenv("CXMART_DUCKDB_THREADS", "1")
    settings = Settings.resolve(home=home)
    expected = (_as_duckdb_shows("700MB"), 1, str(home / "tmp" / "duckdb"))
    with pipeline.warehouse(settings) as con:
        assert _shown(con) == expected
    # the gates open the warehouse the same way
    con = settings.connect()
    try:
        assert _shown(con) == expected
    finally:
        con.close()

    # dbt, through its profile's `settings:` (env_var), in the environment the build stage sets
    from dbt.cli.main import dbtRunner

    with pipeline.dbt_env(settings):
        res = dbtRunner().invoke(pipeline.dbt_args(settings, "show", "--inline", SHOW, "--quiet"))
    pipeline.release_dbt()
    assert res.success, res.exception
    assert tuple(res.result.results[0].agate_table.rows[0].values()) == expected
    # the variables dbt read are set only while it runs (the user's own stay)
    assert "CXMART_DUCKDB_TEMP_DIRECTORY" not in os.environ
    assert os.environ["CXMART_DUCKDB_THREADS"] == "1"


@pytest.mark.parametrize(
    ("var", "value", "says"),
    [
        ("CXMART_DUCKDB_MEMORY_LIMIT", "lots", "an amount of memory"),
        ("CXMART_DUCKDB_THREADS", "two", "whole number"),
        ("CXMART_DUCKDB_THREADS", "0", "at least 1"),
    ],
)
def test_a_wrong_setting_is_refused_naming_it(home, monkeypatch, var, value, says):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=says) as err:
        Settings.resolve(home=home)
    assert var in str(err.value)


def test_the_cli_stops_on_a_wrong_setting_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXMART_")}
    env["CXMART_DUCKDB_THREADS"] = "two"
    res = subprocess.run(
        [str(Path(sys.executable).parent / "cxmart"), "validate", "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 2
    assert res.stderr.strip().startswith("cxmart: CXMART_DUCKDB_THREADS must be a whole number")
    assert len(res.stderr.strip().splitlines()) == 1


# A window over 2 M rows of 200 characters (about 400 MB) under a 64 MB memory limit spills to disk.
SPILL = (
    "select max(rn) as rn from (select row_number() over (order by s desc, i) as rn "
    "from (select i, repeat('x', 200) || i as s from range(2000000) as r(i)))"
)


def test_after_a_spill_the_next_connection_and_the_next_dbt_model_still_open(home, monkeypatch):
    """Once a query has spilled, DuckDB refuses any SET temp_directory, even to the folder in use:
    at the L benchmark the next dbt model failed that way. cxmart's connections set the folder only
    when it differs, and dbt receives it once, when it opens the database (profile config_options)."""
    monkeypatch.setenv("CXMART_DUCKDB_MEMORY_LIMIT", "64MB")
    monkeypatch.setenv("CXMART_DUCKDB_THREADS", "1")
    settings = Settings.resolve(home=home)
    spill = str(home / "tmp" / "duckdb")
    with pipeline.warehouse(settings) as con:
        assert con.execute(SPILL).fetchone()[0] == 2000000
        with pytest.raises(duckdb.NotImplementedException, match="temporary directory"):
            con.execute("set temp_directory = ?", [spill])  # it did spill
        with pipeline.warehouse(settings) as again:  # a second connection of the same process
            assert _shown(again)[2] == spill

    from dbt.cli.main import dbtRunner

    try:
        with pipeline.dbt_env(settings):
            # two invocations in one process share dbt-duckdb's database, as two models of one build
            # do, and each opens a new cursor (where dbt-duckdb SETs the profile's settings)
            first = dbtRunner().invoke(pipeline.dbt_args(settings, "show", "--inline", SPILL, "--quiet"))
            second = dbtRunner().invoke(pipeline.dbt_args(settings, "show", "--inline", SHOW, "--quiet"))
    finally:
        pipeline.release_dbt()
    assert first.success, first.exception
    assert second.success, second.exception
    assert tuple(second.result.results[0].agate_table.rows[0].values())[1:] == (1, spill)
