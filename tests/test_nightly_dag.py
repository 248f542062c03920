"""The nightly Airflow DAG, parsed and run for real: a DagBag import test, its parse time, and
`dag.test()` of whole nights on a small generated centre (real loader, real DuckDB file, real GX
gates, real dbt through Cosmos, real publication), compared with one bulk `cxmart run`.

The centre: `generate(days=6, agents=12, sites=2, seed=11)`, 1-6 March 2026, sites LON and NYC.
The nights run are 4 March (the first: it loads 1-4 March, the history already in the landing),
5 March, 4 March again (cleared and re-run), then 6 March, whose London forecast export lacks the
12:00 interval of queue LON-RETAIL-VOICE: an incomplete source.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from cxmart import pipeline
from cxmart.config import Settings
from cxmart.generator import generate

from conftest import DAGS, TEST_KEY

DAG_ID = "contact_centre_nightly"
POOL = "cxmart_warehouse"
N1, N2, BAD = dt.date(2026, 3, 4), dt.date(2026, 3, 5), dt.date(2026, 3, 6)
BAD_FILE = "wfm_forecasts/wfm_forecasts_LON_2026-03-06.csv"
BAD_LINE = "LON-RETAIL-VOICE,2026-03-06T12:00:00+00:00,30,scheduling,"


def logical_date(night: dt.date) -> dt.datetime:
    """The run that processes `night`: its data interval is [night 06:00Z, night+1 06:00Z), and
    dag.test() infers that interval from a logical date at its end."""
    return dt.datetime.combine(night + dt.timedelta(days=1), dt.time(6), dt.UTC)


@pytest.fixture(scope="module")
def dag(airflow_env):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(DAGS))
    assert bag.import_errors == {}
    return bag.get_dag(DAG_ID)


def test_the_dagbag_imports_the_nightly_dag_with_its_settings(dag):
    from airflow.sdk import CronDataIntervalTimetable

    from cxmart import alerts, nightly

    assert dag is not None and dag.dag_id == DAG_ID
    assert {"cxmart", "contact-centre", "copc"} <= set(dag.tags)
    assert isinstance(dag.timetable, CronDataIntervalTimetable) and dag.timetable.expression == "0 6 * * *"
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.start_date == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert dag.doc_md and "### contact_centre_nightly" in dag.doc_md
    tasks = dag.task_dict
    for tid in (
        "load_reference",
        "source_families",
        "load",
        "raw_gate",
        "mart_gate",
        "publish",
        "score",
        "report",
    ):
        assert tid in tasks, tid
    dbt_tasks = [t for tid, t in tasks.items() if tid.startswith("dbt.")]
    # one task per model and seed (with its tests), and one per test over several models
    assert sum(t.task_id.endswith("_model_build") for t in dbt_tasks) == 66
    assert sum(t.task_id.endswith("_seed_build") for t in dbt_tasks) == 6
    assert all(type(t).__name__ in ("DbtBuildLocalOperator", "DbtTestLocalOperator") for t in dbt_tasks)
    writers = ["load_reference", "load", "raw_gate", "mart_gate", "publish"] + [t.task_id for t in dbt_tasks]
    for tid in writers:
        assert tasks[tid].pool == POOL, tid
    for tid in ("source_families", "score", "report"):
        assert tasks[tid].pool != POOL, tid
    # retries with exponential backoff on load and dbt; never on a gate
    for tid in ["load_reference", "load", "publish"] + [t.task_id for t in dbt_tasks]:
        t = tasks[tid]
        assert t.retries == 3 and t.retry_exponential_backoff == 2.0, tid
        assert t.max_retry_delay == dt.timedelta(minutes=30), tid
    assert tasks["raw_gate"].retries == 0 and tasks["mart_gate"].retries == 0
    assert tasks["raw_gate"].trigger_rule == "none_failed"  # runs when no family load was mapped
    assert all(isinstance(t.retry_policy, nightly.DbtRetryPolicy) for t in dbt_tasks)
    for t in tasks.values():
        callbacks = (
            t.on_failure_callback if isinstance(t.on_failure_callback, list) else [t.on_failure_callback]
        )
        assert alerts.on_failure in callbacks, t.task_id
    assert tasks["publish"].outlets == [nightly.MART]
    # the dbt tasks follow the raw gate and precede the mart gate
    assert "raw_gate" in tasks["dbt.seeds.metric_definitions_seed_build"].upstream_task_ids
    assert tasks["mart_gate"].upstream_task_ids and all(
        u.startswith("dbt.") for u in tasks["mart_gate"].upstream_task_ids
    )


PARSE = """
import json, sys, time
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
t2 = time.perf_counter()
bag = DagBag(sys.argv[1])
t3 = time.perf_counter()
heavy = [m for m in ("pandas", "dbt", "great_expectations", "duckdb", "pyarrow", "numpy") if m in sys.modules]
print(json.dumps({"errors": dict(bag.import_errors), "heavy": heavy, "import_airflow": t1 - t0,
                  "dag_file": t3 - t2}))
"""


def test_the_dag_file_parses_without_heavy_imports_and_reports_its_time(airflow_env):
    """Parsed in a fresh interpreter, as Airflow's DAG processor does. The times are printed (and
    quoted in the README); a benchmark, not this test, is where speed is judged."""
    res = subprocess.run(
        [sys.executable, "-c", PARSE, str(DAGS)], capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["errors"] == {}
    assert out["heavy"] == [], "the DAG file imports heavy modules at parse time"
    print(
        f"\nDAG parse: import airflow.sdk {out['import_airflow']:.2f} s, "
        f"DagBag of dags/ (the DAG file, Cosmos rendering the manifest) {out['dag_file']:.2f} s, "
        f"together {out['import_airflow'] + out['dag_file']:.2f} s"
    )


# -- whole nights ------------------------------------------------------------------------------


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def mart_hashes(path: Path) -> dict[str, tuple[int, str]]:
    """Rows and an order-independent content hash of every table of a published mart, but for its
    `_publication` bookkeeping (run id, publication time)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where table_name <> '_publication' order by 1, 2"
        ).fetchall()
        out = {}
        for schema, table in tables:
            n, h = con.execute(
                f"select count(*), md5(coalesce(string_agg(h, ',' order by h), '')) "
                f'from (select md5(cast(t as varchar)) as h from {schema}."{table}" as t)'
            ).fetchone()
            out[f"{schema}.{table}"] = (n, h)
        return out
    finally:
        con.close()


def raw_counts(warehouse: Path) -> dict[str, int]:
    from cxmart.connectors import schema

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            e.name: con.execute(f"select count(*) from raw.{e.name}").fetchone()[0] for e in schema.ENTITIES
        }
    finally:
        con.close()


def _run(dag, night: dt.date) -> dict:
    """dag.test() of one night; the run's state and every task instance (state, times, pool)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    dr = dag.test(logical_date=logical_date(night))
    with create_session() as session:
        tis = session.scalars(
            select(TaskInstance).where(TaskInstance.dag_id == DAG_ID, TaskInstance.run_id == dr.run_id)
        ).all()
        return {
            "state": str(dr.state),
            "run_id": dr.run_id,
            "tis": [
                {
                    "task_id": ti.task_id,
                    "map_index": ti.map_index,
                    "state": str(ti.state),
                    "start": ti.start_date,
                    "end": ti.end_date,
                    "pool": ti.pool,
                    "try_number": ti.try_number,
                }
                for ti in tis
            ],
        }


def _asset_events() -> list[dict]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetModel.name, AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .order_by(AssetEvent.id)
        ).all()
        return [{"asset": name, **(extra or {})} for name, extra in rows]


@pytest.fixture(scope="module")
def nights(airflow_env, dag, tmp_path_factory) -> dict:
    """Runs the nights in order and records what each left behind (the tests below only read)."""
    base = tmp_path_factory.mktemp("nightly")
    landing = base / "landing"
    generate(landing, days=6, agents=12, sites=2, seed=11, start=dt.date(2026, 3, 1))
    bad = landing / BAD_FILE
    lines = bad.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(BAD_LINE)]
    assert len(kept) == len(lines) - 1
    bad.write_text("".join(kept))
    home = base / "home"
    # Cosmos copies a dbt task's `env` into os.environ (for OpenLineage); a worker runs each task in
    # a process of its own, dag.test() runs them all in this one: restore the environment afterwards.
    saved_env = dict(os.environ)
    mp = pytest.MonkeyPatch()
    mp.setenv("CXMART_HOME", str(home))
    mp.setenv("CXMART_LANDING", str(landing))
    mp.setenv("CXMART_PSEUDONYM_KEY", TEST_KEY)
    settings = Settings.resolve()
    out: dict = {"settings": settings}
    try:
        out["n1"] = _run(dag, N1)
        out["n1_mart"] = mart_hashes(settings.mart)
        out["n1_raw"] = raw_counts(settings.warehouse)
        out["n2"] = _run(dag, N2)
        out["n1_again"] = _run(dag, N1)
        out["after_rerun_mart"] = mart_hashes(settings.mart)
        out["after_rerun_raw"] = raw_counts(settings.warehouse)
        out["events"] = _asset_events()

        # The night of 6 March, with its incomplete London export, and an alert webhook on loopback.
        mart_bytes = hashlib.sha256(settings.mart.read_bytes()).hexdigest()
        server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        mp.setenv("CXMART_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hook")
        try:
            out["bad"] = _run(dag, BAD)
        finally:
            server.shutdown()
            mp.delenv("CXMART_ALERT_WEBHOOK")
        out["bad_alerts"] = list(_Hook.received)
        out["events_after_bad"] = _asset_events()
        out["mart_untouched"] = hashlib.sha256(settings.mart.read_bytes()).hexdigest() == mart_bytes
        con = duckdb.connect(str(settings.warehouse), read_only=True)
        try:
            out["bad_failures"] = con.execute(
                "select expectation, site_id, day, blocking from audit.validation_results "
                "where not success and night = '2026-03-06' order by all"
            ).fetchall()
        finally:
            con.close()
    finally:
        mp.undo()
        os.environ.clear()
        os.environ.update(saved_env)

    # One bulk `cxmart run` over the same two nights: a landing holding exactly the files of 1-5 March
    # (and the undated ones), in a home of its own.
    bulk_landing = base / "bulk_landing"
    shutil.copytree(landing, bulk_landing, ignore=shutil.ignore_patterns("*2026-03-06*"))
    bulk = Settings.resolve(home=base / "bulk", landing=bulk_landing)
    pipeline.run(bulk, TEST_KEY)
    out["bulk_mart"] = mart_hashes(bulk.mart)
    out["bulk_raw"] = raw_counts(bulk.warehouse)
    return out


def _states(run: dict) -> dict[str, set[str]]:
    by: dict[str, set[str]] = {}
    for ti in run["tis"]:
        by.setdefault(ti["task_id"], set()).add(ti["state"])
    return by


def test_a_night_runs_every_task_and_ends_in_a_published_mart_and_a_scorecard(nights):
    from cxmart import scorecard

    run = nights["n1"]
    assert run["state"] == "success"
    failed = {t["task_id"]: t["state"] for t in run["tis"] if t["state"] != "success"}
    assert failed == {}
    # every family of the sample centre got its own load task
    loads = sorted(t["map_index"] for t in run["tis"] if t["task_id"] == "load")
    assert loads == list(range(10))
    assert len(run["tis"]) > 80
    settings = nights["settings"]
    card = scorecard.load(settings)
    assert card.headline.scope_level == "organisation" and card.headline.points_available > 0
    assert (settings.reports / "scorecard.html").is_file()
    # the published mart is an Asset: one event per publication, saying which night it holds
    events = [e for e in nights["events"] if e["asset"] == "cxmart_published_mart"]
    assert [e["night"] for e in events] == ["2026-03-04", "2026-03-05", "2026-03-04"]
    assert events[0]["tables"]["mart.metric_values"] == nights["n1_mart"]["main.metric_values"][0]


def test_writing_tasks_never_overlap_in_time(nights):
    """Every task that writes the warehouse ran in the one-slot pool, and no two of them ran at once."""
    for key in ("n1", "n2", "n1_again"):
        writers = sorted(
            (t for t in nights[key]["tis"] if t["pool"] == POOL and t["start"] is not None),
            key=lambda t: t["start"],
        )
        assert len(writers) > 75
        for a, b in zip(writers, writers[1:], strict=False):
            assert a["end"] <= b["start"], (key, a["task_id"], b["task_id"])


def test_two_nights_and_a_rerun_equal_one_bulk_run(nights):
    assert nights["n2"]["state"] == "success" and nights["n1_again"]["state"] == "success"
    assert all(t["state"] == "success" for t in nights["n1_again"]["tis"])
    # The first night loaded 1-4 March; after the second, and after the first again, every raw
    # table holds what one bulk run over 1-5 March holds: nothing counted twice.
    assert nights["n1_raw"]["acd_contacts"] < nights["after_rerun_raw"]["acd_contacts"]
    assert nights["after_rerun_raw"] == nights["bulk_raw"]
    # ... and every published table has the same content.
    assert nights["after_rerun_mart"].keys() == nights["bulk_mart"].keys()
    differ = [t for t in nights["bulk_mart"] if nights["after_rerun_mart"][t] != nights["bulk_mart"][t]]
    assert differ == []
    assert nights["n1_mart"] != nights["after_rerun_mart"]  # the second night changed the mart


def test_a_failed_gate_fails_the_run_publishes_nothing_and_alerts_once(nights):
    run = nights["bad"]
    assert run["state"] == "failed"
    states = _states(run)
    assert states["raw_gate"] == {"failed"}
    assert states["load"] == {"success"} and states["load_reference"] == {"success"}
    not_run = [
        t for t in run["tis"] if t["task_id"] not in ("load", "load_reference", "source_families", "raw_gate")
    ]
    assert {t["state"] for t in not_run} == {"upstream_failed"}
    # publish, score, report and every dbt task never ran (Airflow stamps upstream_failed task
    # instances with a start time, but never tries them)
    assert all(t["try_number"] == 0 for t in not_run)
    assert [e["night"] for e in nights["events_after_bad"] if e["asset"] == "cxmart_published_mart"] == [
        "2026-03-04",
        "2026-03-05",
        "2026-03-04",
    ]
    assert {"publish", "score", "report", "mart_gate"} <= {t["task_id"] for t in not_run}
    assert nights["mart_untouched"]  # the mart of the night before, byte for byte
    # The one failure: the missing interval, on the night's own day, so it decides the run.
    assert nights["bad_failures"] == [("missing_intervals", "LON", BAD, True)]
    # One alert, carrying the CLI's one-line reason.
    assert len(nights["bad_alerts"]) == 1
    assert nights["bad_alerts"][0]["text"] == (
        f"cxmart {DAG_ID}, night 2026-03-06: raw_gate failed: raw gate failed: missing_intervals in "
        "wfm_forecasts, LON/LON-RETAIL-VOICE, 2026-03-06; nothing published (--allow-incomplete to build "
        "and publish anyway)"
    )


def test_the_failure_line_names_the_night_and_the_reason():
    from cxmart import alerts

    class TI:
        task_id, map_index, dag_id = "load", 3, DAG_ID

    line = alerts.failure_line(
        {
            "ti": TI(),
            "data_interval_start": dt.datetime(2026, 3, 4, 6, tzinfo=dt.UTC),
            "data_interval_end": dt.datetime(2026, 3, 5, 6, tzinfo=dt.UTC),
            "exception": RuntimeError("load failed: /x/calls.csv: rejected,\n  not a CSV"),
        }
    )
    assert line == (
        f"cxmart {DAG_ID}, night 2026-03-04: load[3] failed: load failed: /x/calls.csv: rejected, not a CSV"
    )
