"""The nightly pipeline's stages, callable from the CLI, the Airflow DAG and tests:
load -> raw gate -> dbt build -> mart gate -> publish -> report.

Each stage that writes opens the working warehouse, does its work and closes it again,
so the stages run one at a time against one DuckDB file (DuckDB allows one writer).
Only `publish` writes the published mart, and only after the mart gate passed
(write-audit-publish); the COPC scoring tables are built by the same dbt build and published
with the mart, and `report` reads only the published mart.

Each stage comes as a function that does the work and returns its report, and a `require_*`
check that raises StageFailed with the one-line reason the CLI prints; `run` chains them, and the
Airflow DAG (`dags/contact_centre_nightly.py`) calls the same functions task by task. A run may be
keyed by a night (`cxmart.night.Night`): which files load, which unit-days the raw gate judges.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import gate, publish
from .config import ENV_ENGINE, ENV_SPARK_SOURCES, ENV_SPARK_WAREHOUSE, Settings
from .connectors.loader import (
    CHANGES,
    Loader,
    LoadReport,
    RejectedFile,
    ensure_raw_schema,
    mark_changes_built,
)
from .gate import GateReport, ensure_audit_schema
from .night import Night

if TYPE_CHECKING:
    from .report import Written


class StageFailed(Exception):
    """A pipeline stage failed; str() is the one-line reason the CLI prints."""

    def __init__(self, stage: str, reason: str, report=None, summary=None, gate=None) -> None:
        super().__init__(f"{stage} failed: {reason}")
        self.stage = stage
        self.reason = reason
        self.report = report  # the LoadReport, when loading ran
        self.summary = summary  # the BuildSummary, when dbt ran
        self.gate = gate  # the failing GateReport, when a gate failed


@contextmanager
def warehouse(settings: Settings, read_only: bool = False):
    """A connection to the working warehouse, closed on exit (one writer at a time)."""
    if not read_only:
        settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = settings.connect(read_only=read_only)
    try:
        yield con
    finally:
        con.close()


# The source families of SOURCES.md (connectors.schema Entity.source), each loaded as one unit by
# the Airflow DAG's mapped load task; reference data loads first, since facts are read in their
# site's time zone.
REFERENCE_FAMILY = "reference"


def family_entities(family: str) -> list[str]:
    """The canonical entities of one source family, in load order."""
    from .connectors import schema

    names = [n for n in schema.LOAD_ORDER if schema.BY_NAME[n].source == family]
    if not names:
        known = sorted({e.source for e in schema.ENTITIES})
        raise ValueError(f"unknown source family {family!r} (one of {', '.join(known)})")
    return names


def landing_families(settings: Settings) -> list[str]:
    """The source families (other than reference data) with exports in the landing location."""
    from .connectors import schema
    from .connectors.loader import landing_entities

    try:
        entities = landing_entities(settings.landing)
    except RejectedFile as exc:
        raise StageFailed("load", str(exc)) from exc
    families = {schema.BY_NAME[e].source for e in entities}
    return sorted(families - {REFERENCE_FAMILY})


def load(
    settings: Settings,
    pseudonym_key: str,
    progress: Callable[[object], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    night: Night | None = None,
    entities: list[str] | None = None,
) -> LoadReport:
    """Land the files under the landing location in the raw schema: every file, or with a `night`
    those dated on or before its last day (and undated ones), recording the night; `entities`
    limits the load to those entities (one source family of the DAG)."""
    with warehouse(settings) as con:
        try:
            loader = Loader(
                con,
                settings.landing,
                pseudonym_key,
                entities=entities,
                through=night.last_day if night else None,
                night=night.key if night else None,
            )
            return loader.load_all(progress, on_start)
        except RejectedFile as exc:  # the landing location or its sources.yml, not one file
            raise StageFailed("load", str(exc)) from exc


def require_loaded(report: LoadReport) -> None:
    """StageFailed naming the first rejected file (the other files are loaded)."""
    if report.rejected:
        first = report.rejected[0].message
        more = f" (and {len(report.rejected) - 1} more)" if len(report.rejected) > 1 else ""
        raise StageFailed("load", f"{first}{more}", report=report)


def raw_row_counts(settings: Settings) -> dict[str, int]:
    """Rows currently in each raw table (what downstream models see)."""
    from .connectors import schema

    with warehouse(settings, read_only=True) as con:
        return {
            e.name: con.execute(f"select count(*) from raw.{e.name}").fetchone()[0] for e in schema.ENTITIES
        }


@dataclass
class BuildSummary:
    success: bool
    counts: dict[str, int] = field(default_factory=dict)  # e.g. {"model": 19, "test": 80}
    failures: list[str] = field(default_factory=list)


def dbt_args(settings: Settings, command: str, *extra: str) -> list[str]:
    """Arguments for one dbt command against this CXMART_HOME (artifacts kept under it)."""
    dbt_dir = settings.home / "dbt"
    return [
        command,
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.dbt_project_dir),
        "--target-path",
        str(dbt_dir / "target"),
        "--log-path",
        str(dbt_dir / "logs"),
        *extra,
    ]


@contextmanager
def dbt_env(settings: Settings):
    """The environment dbt's profile reads (the warehouse, the organisation's zone, the DuckDB
    settings), set only while dbt runs: left behind, it would redirect every later Settings.resolve() in this
    process to this run's warehouse."""
    wanted = {
        "CXMART_WAREHOUSE": str(settings.warehouse),
        "CXMART_ORG_TIME_ZONE": settings.org_time_zone,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": os.environ.get("DBT_SEND_ANONYMOUS_USAGE_STATS", "false"),
        **settings.duckdb.env(),
        # the profile's target (dev = DuckDB, or spark) and the Spark target's folders
        ENV_ENGINE: settings.engine,
        ENV_SPARK_SOURCES: str(settings.spark_sources),
        ENV_SPARK_WAREHOUSE: str(settings.spark_warehouse),
    }
    before = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def is_built(con) -> bool:
    """Has dbt built this warehouse's mart before (so an incremental build can follow)?"""
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'mart' and table_name = 'metric_values'"
        ).fetchone()[0]
    )


def build(
    settings: Settings,
    on_node: Callable[[str, str], None] | None = None,
    quiet: bool = True,
    full_refresh: bool = False,
) -> BuildSummary:
    """`dbt build` (models, seeds, tests) into the working warehouse, in process.

    Incremental models rebuild only from the first day the pending raw changes reach; with
    `full_refresh`, or on the first build, everything is rebuilt and the dbt unit tests run too.
    An incremental build skips the unit tests: they test the models' SQL on fixed rows, which a
    night's data cannot change (dbt's advice: run them in development and CI, not on every load).

    With the spark engine the raw tables go out as Parquet first (`export_raw`), dbt builds every
    model in full on Spark (the incremental ones too; the unit tests are skipped on the same
    rule), and the tables it built replace the warehouse's mart and reference schemas, where the
    mart gate and publication read them.
    """
    from dbt.cli.main import dbtRunner

    Path(settings.home / "dbt").mkdir(parents=True, exist_ok=True)
    with warehouse(settings) as con:  # dbt reads the raw gate's failures and the changes from here
        schema_name, table = CHANGES.split(".")
        logged = con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema_name, table],
        ).fetchone()[0]
        ensure_audit_schema(con)
        ensure_raw_schema(con)
        # a mart built before the loader recorded its changes cannot know what changed since
        full_refresh = full_refresh or (not logged and is_built(con))
        incremental = not full_refresh and is_built(con)

    def callback(event) -> None:
        if on_node and event.info.name == "NodeFinished":
            node = event.data.node_info
            on_node(node.unique_id, node.node_status)

    extra = ["--quiet"] if quiet else []
    if full_refresh:
        extra.append("--full-refresh")
    if incremental:
        extra += ["--exclude-resource-type", "unit_test"]
    spark = settings.engine == "spark"
    if spark:
        from . import spark as spark_engine

        try:
            spark_engine.require_runtime()
        except spark_engine.SparkUnavailable as exc:
            return BuildSummary(success=False, failures=[str(exc)])
        spark_engine.stop_session()
        shutil.rmtree(settings.spark_warehouse, ignore_errors=True)
        spark_engine.export_raw(settings)
    try:
        with dbt_env(settings):
            res = dbtRunner(callbacks=[callback]).invoke(dbt_args(settings, "build", *extra))
    finally:
        if spark:
            spark_engine.stop_session()
        else:
            _release_dbt_duckdb()
    if spark and res.success:
        spark_engine.import_built(settings)
    summary = BuildSummary(success=bool(res.success))
    if res.exception is not None:
        summary.failures.append(f"dbt could not run: {res.exception}")
        return summary
    for r in getattr(res.result, "results", None) or []:
        kind = r.node.resource_type
        kind = str(getattr(kind, "value", kind))
        status = str(getattr(r.status, "value", r.status))
        if status in ("success", "pass", "warn"):
            # the on-run-start hook (Spark's sources; nothing on DuckDB) is not a node of the project
            if kind != "operation":
                summary.counts[kind] = summary.counts.get(kind, 0) + 1
        elif status in ("error", "fail", "runtime error"):
            summary.failures.append(f"{r.node.name}: {_one_line(r.message)}")
    return summary


def build_manifest(settings: Settings, target_dir: Path) -> Path:
    """`dbt parse` of the project into `target_dir`: the manifest.json the Airflow DAG renders its
    dbt tasks from (Cosmos LoadMode.DBT_MANIFEST), built ahead of time, never at DAG parse."""
    from dbt.cli.main import dbtRunner

    target_dir.mkdir(parents=True, exist_ok=True)
    args = dbt_args(settings, "parse", "--quiet")
    args[args.index("--target-path") + 1] = str(target_dir)
    with dbt_env(settings):
        res = dbtRunner().invoke(args)
    if not res.success:
        raise StageFailed("dbt parse", _one_line(str(res.exception or "dbt parse did not succeed")))
    return target_dir / "manifest.json"


def _release_dbt_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open for the whole process after a run.

    dbt-duckdb caches its database in a class attribute across invocations; left open, the
    in-process dbt stays a second holder of the warehouse file, and the next stage's
    connection fails ("different configuration") or, across processes, waits on the lock.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager

    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
            manager._ENV = None


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _one_line(s: str | None) -> str:
    """dbt's message on one line, without terminal colour codes."""
    return " ".join(_ANSI.sub("", s or "").split())[:300]


def _gate_reason(report: GateReport) -> str:
    failing = report.blocking
    first = failing[0]
    where = ", ".join(str(x) for x in (first.source, first.unit, first.day) if x)
    more = f" (and {len(failing) - 1} more)" if len(failing) > 1 else ""
    return f"{first.expectation} in {where or first.suite}{more}"


def release_dbt() -> None:
    """Close dbt-duckdb's cached database if dbt ran in this process (see _release_dbt_duckdb):
    the Airflow DAG's dbt tasks run dbt in the task's process, and under `dag.test()` every task
    shares one process."""
    import sys

    if "dbt.adapters.duckdb.connections" in sys.modules:
        _release_dbt_duckdb()


def raw_gate(
    settings: Settings, run_id: str | None = None, night: Night | None = None, full: bool = False
) -> GateReport:
    """The completeness gate on the canonical raw entities (results in audit.validation_results);
    with a night, only failures on the unit-days it judges decide (GateReport.blocking). It judges
    the days the raw changes since the last publication reach, or with `full` every unit-day
    (gate.run_raw_gate says when it does so anyway)."""
    return gate.run_raw_gate(settings, run_id, night, full=full)


def require_complete(checked: GateReport, allow_incomplete: bool = False) -> None:
    """StageFailed with the first blocking failure, unless `allow_incomplete`."""
    if not checked.success and not allow_incomplete:
        raise StageFailed(
            "raw gate",
            _gate_reason(checked) + "; nothing published (--allow-incomplete to build and publish anyway)",
            gate=checked,
        )


def require_built(summary: BuildSummary) -> None:
    """StageFailed with dbt's first failure."""
    if not summary.success:
        reason = summary.failures[0] if summary.failures else "dbt build did not succeed"
        more = f" (and {len(summary.failures) - 1} more)" if len(summary.failures) > 1 else ""
        raise StageFailed("dbt build", f"{reason}{more}", summary=summary)


def mart_gate(settings: Settings, run_id: str | None = None) -> GateReport:
    """The gate on mart.metric_values in the working warehouse, before anything is published."""
    return gate.run_mart_gate(settings, run_id)


def require_gated(report: GateReport) -> None:
    """StageFailed with the mart gate's first failure: nothing is published."""
    if not report.success:
        raise StageFailed("mart gate", _gate_reason(report) + "; nothing published", gate=report)


def publish_mart(settings: Settings, run_id: str) -> publish.Publication:
    """Publish the working warehouse's mart (after its mart gate passed), atomically; the raw
    changes it was built from are then no longer pending for the next incremental build."""
    try:
        publication = publish.publish(settings, run_id)
    except publish.PublishError as exc:
        raise StageFailed("publish", str(exc)) from exc
    with warehouse(settings) as con:
        mark_changes_built(con)
    return publication


def audit_and_publish(
    settings: Settings, run_id: str, on_gate: Callable[[GateReport], None] | None = None
) -> publish.Publication:
    """Mart gate, then (only if it passed) publish: the previously published mart is untouched otherwise."""
    report = mart_gate(settings, run_id)
    if on_gate:
        on_gate(report)
    require_gated(report)
    return publish_mart(settings, run_id)


def run(
    settings: Settings,
    pseudonym_key: str,
    load_progress: Callable[[object], None] | None = None,
    on_load_start: Callable[[int], None] | None = None,
    on_node: Callable[[str, str], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
    allow_incomplete: bool = False,
    on_gate: Callable[[GateReport], None] | None = None,
    night: Night | None = None,
    run_id: str | None = None,
    full_refresh: bool = False,
) -> tuple[LoadReport, BuildSummary]:
    """Every stage in order: load -> raw gate -> dbt build -> mart gate -> publish -> report.

    Raises StageFailed with a one-line reason at the first failure. A raw-gate failure stops
    the run before dbt unless `allow_incomplete` (the failure is recorded either way, and the
    metric-months built from the failing source and day are marked incomplete_source). With a
    `night`, only that night's files load and only the unit-days it judges can stop the run.
    """
    stage = on_stage or (lambda _name: None)
    run_id = run_id or gate.new_run_id()
    stage("load")
    report = load(settings, pseudonym_key, progress=load_progress, on_start=on_load_start, night=night)
    require_loaded(report)
    stage("raw gate")
    checked = raw_gate(settings, run_id, night, full=full_refresh)
    if on_gate:
        on_gate(checked)
    try:
        require_complete(checked, allow_incomplete)
        stage("dbt build")
        summary = build(settings, on_node=on_node, full_refresh=full_refresh)
        require_built(summary)
    except StageFailed as exc:
        exc.report = report
        raise
    stage("publish")
    try:
        audit_and_publish(settings, run_id, on_gate=on_gate)
    except StageFailed as exc:
        exc.report, exc.summary = report, summary
        raise
    return report, summary


def report(settings: Settings) -> Written:
    """The scorecard of the PUBLISHED mart (read-only), written as the HTML report
    `<reports>/scorecard-<scoring month>.html` and `<reports>/scorecard.html` (the latest).

    Runs after publish: when publication failed, the published mart, and so the report, is the
    previous one. Raises scorecard.ScorecardUnavailable (naming the file) when nothing is
    published yet or the published mart has no scoring tables.
    """
    from . import report as html_report
    from . import scorecard

    return html_report.write(settings, scorecard.load(settings))
