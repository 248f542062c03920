"""The Airflow side of the nightly pipeline: what each task of `dags/contact_centre_nightly.py` does.

The DAG file only wires tasks; each task body is one function here, and each calls the same
`cxmart.pipeline` stage functions the CLI calls (`cxmart run`), keyed by the night of the DAG run's
data interval (`cxmart.night.Night`). A stage's StageFailed becomes an AirflowFailException with the
CLI's one-line reason, so a data problem (a rejected file, a failed gate, a failing dbt test) fails
the task at once; retries are for what can pass on a second try (storage, locks).

Importing this module is light (no pandas, dbt, GX or DuckDB): the DAG file imports it at parse
time; the stages import what they need when a task runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

from airflow.sdk import Asset, RetryAction, RetryDecision, RetryPolicy
from airflow.sdk.exceptions import AirflowFailException

from .config import (
    AIRFLOW_POOL,
    ENV_DUCKDB_MEMORY_LIMIT,
    ENV_DUCKDB_TEMP_DIRECTORY,
    ENV_DUCKDB_THREADS,
    ENV_MANIFEST,
    ConfigError,
    Settings,
    dbt_project_dir,
    manifest_path,
    pseudonym_key,
)
from .night import Night

log = logging.getLogger(__name__)

DAG_ID = "contact_centre_nightly"
# Every task that writes the working warehouse (or reads it while another could write) runs in this
# pool; it has one slot, so DuckDB's one writer is never contended (README "Running under Airflow").
POOL = AIRFLOW_POOL
POOL_DESCRIPTION = "cxmart: the working DuckDB warehouse has one writer"
# The published mart, for BI refreshes and downstream DAGs (`schedule=[MART]`); each event's extra
# holds the night, the file's path and the row count of every table.
MART = Asset(name="cxmart_published_mart", uri="cxmart://published/mart")
DUCKDB_ENV = (ENV_DUCKDB_MEMORY_LIMIT, ENV_DUCKDB_THREADS, ENV_DUCKDB_TEMP_DIRECTORY)


# -- settings, read when a task runs -----------------------------------------------------------


def settings() -> Settings:
    return Settings.resolve()


def night_of(start: dt.datetime | None, end: dt.datetime | None) -> Night | None:
    """The night of a data interval; None for a run without one (a manual run with no logical
    date processes the whole landing, like `cxmart run`)."""
    if start is None or end is None:
        return None
    return Night.from_interval(start, end)


def _key() -> str:
    try:
        return pseudonym_key()
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from exc


def macros() -> dict[str, Any]:
    """Jinja macros of the DAG: the dbt tasks' environment, resolved on the worker when they run."""
    return {
        "cxmart_warehouse": lambda: str(settings().warehouse),
        "cxmart_org_time_zone": lambda: settings().org_time_zone,
        # the DuckDB settings of every cxmart connection (CXMART_DUCKDB_*), for dbt-duckdb's `settings:`
        "cxmart_duckdb_env": lambda name: settings().duckdb.env()[name],
    }


# -- task bodies -------------------------------------------------------------------------------


def source_families() -> list[str]:
    """The source families with exports in the landing (reference data is loaded on its own first)."""
    from . import pipeline

    try:
        return pipeline.landing_families(settings())
    except pipeline.StageFailed as exc:
        raise AirflowFailException(str(exc)) from exc


def load_family(family: str, start: dt.datetime | None, end: dt.datetime | None) -> dict[str, int]:
    """Load one source family's files for the night; fail (no retry) when a file was rejected."""
    from . import pipeline

    night = night_of(start, end)
    s = settings()
    pipeline.release_dbt()
    report = pipeline.load(s, _key(), night=night, entities=pipeline.family_entities(family))
    by_status: dict[str, int] = {}
    for f in report.files:
        by_status[f.status] = by_status.get(f.status, 0) + 1
    log.info(
        "%s, night %s: %d file(s) %s, %d row(s) loaded, %d quarantined, %d file(s) left for later nights",
        family,
        night or "(whole landing)",
        len(report.files),
        by_status,
        sum(f.rows for f in report.files),
        report.quarantined,
        len(report.later),
    )
    for note in report.notes:
        log.info("note: %s", note)
    for f in report.rejected:
        log.error("%s", f.message)
    try:
        pipeline.require_loaded(report)
    except pipeline.StageFailed as exc:
        raise AirflowFailException(str(exc)) from exc
    return {
        "files": len(report.files),
        "rows": sum(f.rows for f in report.files),
        "quarantined": report.quarantined,
        "later": len(report.later),
    }


def _log_gate(report) -> None:
    for f in report.failures[:50]:
        log.error(
            "%s gate failure%s: %s %s site=%s queue=%s day=%s observed=%s expected=%s",
            report.gate,
            "" if f.blocking else " (not judged tonight)",
            f.source or "",
            f.expectation,
            f.site_id or "",
            f.queue_id or "",
            f.day or "",
            f.observed,
            f.expected,
        )
    if len(report.failures) > 50:
        log.error("... and %d more (audit.validation_results)", len(report.failures) - 50)


def raw_gate(start, end, run_id: str, allow_incomplete: bool = False) -> dict[str, Any]:
    """The completeness gate for the night; fails the task (no retry) on a blocking failure."""
    from . import pipeline
    from .gate import GateError

    night = night_of(start, end)
    pipeline.release_dbt()
    try:
        report = pipeline.raw_gate(settings(), run_id, night)
    except GateError as exc:
        raise AirflowFailException(str(exc)) from exc
    _log_gate(report)
    try:
        pipeline.require_complete(report, allow_incomplete)
    except pipeline.StageFailed as exc:
        raise AirflowFailException(str(exc)) from exc
    log.info(
        "raw gate, night %s: %d suite(s), %d failure(s), %d of them on unit-days judged tonight",
        night or "(whole history)",
        report.suites,
        len(report.failures),
        len(report.blocking),
    )
    return {"suites": report.suites, "failures": len(report.failures), "blocking": len(report.blocking)}


def mart_gate(run_id: str) -> dict[str, Any]:
    """The gate on the mart dbt built; fails the task (no retry) and publishes nothing on failure."""
    from . import pipeline
    from .gate import GateError

    pipeline.release_dbt()
    try:
        report = pipeline.mart_gate(settings(), run_id)
    except GateError as exc:
        raise AirflowFailException(str(exc)) from exc
    _log_gate(report)
    try:
        pipeline.require_gated(report)
    except pipeline.StageFailed as exc:
        raise AirflowFailException(str(exc)) from exc
    return {"suites": report.suites}


def publish(run_id: str, start, end, outlet_events=None) -> dict[str, Any]:
    """Publish the gated mart atomically; the MART asset's event says what was published."""
    from . import pipeline

    pipeline.release_dbt()
    s = settings()
    try:
        publication = pipeline.publish_mart(s, run_id)
    except pipeline.StageFailed as exc:
        raise AirflowFailException(str(exc)) from exc
    night = night_of(start, end)
    extra = {
        "night": night.key if night else None,
        "run_id": run_id,
        "path": str(s.mart),
        "tables": publication.tables,
    }
    if outlet_events is not None:
        outlet_events[MART].extra = extra
    log.info("published %s (%s)", s.mart, publication.path.name)
    return extra


def score() -> dict[str, Any]:
    """The COPC scorecard of the published mart, printed in the task log as `cxmart score` prints it."""
    from . import scorecard
    from .cli import scorecard_text

    card = scorecard.load(settings())
    for line in scorecard_text(card).splitlines():
        log.info("%s", line)
    h = card.headline
    return {
        "scope": h.label,
        "scoring_month": h.scoring_month.isoformat(),
        "certified": bool(h.certified),
        "points_earned": h.points_earned,
        "points_available": h.points_available,
        "failed_conditions": list(h.failed_conditions),
    }


def report() -> str:
    """The HTML scorecard of the published mart; returns its path."""
    from . import pipeline

    written = pipeline.report(settings())
    log.info("report: %s", written.path)
    return str(written.path)


# -- dbt, rendered by Cosmos -------------------------------------------------------------------


class DbtRetryPolicy(RetryPolicy):
    """Retry a dbt task only when dbt could not run (a lock, the disk, a crash): when dbt ran and a
    model errored or a test failed, the same data gives the same failure, so the task fails at once
    (Cosmos says "dbt invocation completed with errors" for those)."""

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        if "dbt invocation completed with errors" in str(exception):
            return RetryDecision.fail("dbt ran and a model or a test failed: a retry cannot change the data")
        return RetryDecision(action=RetryAction.DEFAULT)

    def serialize(self) -> dict[str, Any]:
        return {"__type": type(self).__name__}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> DbtRetryPolicy:
        return cls()


def dbt_task_group(group_id: str, task_args: dict[str, Any]):
    """One Airflow task per dbt model and seed, each running `dbt build --select <node>` (the node and
    its tests, unit tests included; tests over several models get a task of their own after them),
    in the DAG's warehouse pool, grouped by the project's folders."""
    # Cosmos sends usage telemetry unless told not to; cxmart does not phone home. A deployer who
    # wants it sets SCARF_NO_ANALYTICS=false.
    os.environ.setdefault("SCARF_NO_ANALYTICS", "true")
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    project = dbt_project_dir()
    manifest = manifest_path()
    if not manifest.is_file():
        raise FileNotFoundError(
            f"no dbt manifest at {manifest}: build it with `cxmart manifest` (the Docker image builds it "
            f"at image build), or point {ENV_MANIFEST} at one"
        )
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=project, manifest_path=manifest, project_name="cxmart", install_dbt_deps=False
        ),
        profile_config=ProfileConfig(
            profile_name="cxmart", target_name="dev", profiles_yml_filepath=project / "profiles.yml"
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.DBT_RUNNER
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            should_detach_multiple_parents_tests=True,
            group_nodes_by_folder=True,
            emit_datasets=False,
        ),
        operator_args={
            **task_args,
            "env": {
                "CXMART_WAREHOUSE": "{{ cxmart_warehouse() }}",
                "CXMART_ORG_TIME_ZONE": "{{ cxmart_org_time_zone() }}",
                **{name: f"{{{{ cxmart_duckdb_env('{name}') }}}}" for name in DUCKDB_ENV},
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            },
            "retry_policy": DbtRetryPolicy(),
            # dbt would write the 2 MB manifest.json (and run_results.json) twice per task, about 2 s of
            # a 3 s task; nothing reads them (Cosmos keeps its partial-parse file either way)
            "dbt_cmd_flags": ["--no-write-json"],
        },
    )
