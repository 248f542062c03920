"""
### contact_centre_nightly

The cxmart pipeline, once a night: the night's exports in the landing location -> DuckDB
(`raw.*`) -> raw completeness gate (Great Expectations) -> `dbt build`, one task per model with its
tests -> mart gate -> publish `mart.duckdb` (the `cxmart_published_mart` asset) -> COPC scorecard
in the log -> HTML report.

**The night.** Each run processes the night of its data interval: the interval
[D 06:00 UTC, D+1 06:00 UTC) is the night of day D, run at 06:00 UTC the morning after, when the
day's exports are in. A load task loads the files not loaded yet whose name dates them on or before
D (and undated ones such as reference data); the raw gate fails only on the unit-days the night
judges (D, and the days its files changed). Clearing a task or a run redoes exactly that night and
never counts a row twice (the load manifest knows every file version). `catchup` is off: the first
run after deployment loads the whole history already in the landing; older nights are backfilled
on purpose with `airflow backfill create --dag-id contact_centre_nightly --from-date ...
--to-date ...`.

**One writer.** Every task that touches the working warehouse runs in the pool `cxmart_warehouse`
(one slot) and `max_active_runs` is 1, so DuckDB never sees two writers; BI reads only the published
copy. Load and dbt tasks retry with exponential backoff (a dbt task only when dbt could not run);
the gates never retry: a failed gate fails the run with the CLI's one-line reason, skips publish,
score and report (the published mart stays the previous one, byte for byte) and calls
`cxmart.alerts.on_failure` (`CXMART_ALERT_WEBHOOK`, `CXMART_ALERT_EMAIL`).

Trigger with `{"allow_incomplete": true}` to build and publish a night whose raw gate failed (the
failure is still recorded and its metric periods are marked `incomplete_source`).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import CronDataIntervalTimetable, Param, chain, dag, task

from cxmart import alerts, nightly

WRITES = {
    "pool": nightly.POOL,
    "retries": 3,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": dt.timedelta(minutes=30),
}
GATE = {"pool": nightly.POOL, "retries": 0}


@dag(
    dag_id=nightly.DAG_ID,
    schedule=CronDataIntervalTimetable("0 6 * * *", timezone="UTC"),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["cxmart", "contact-centre", "copc"],
    doc_md=__doc__,
    default_args={"owner": "cxmart", "retries": 1, "on_failure_callback": alerts.on_failure},
    params={
        "allow_incomplete": Param(False, type="boolean", description="Publish despite a failed raw gate"),
    },
    user_defined_macros=nightly.macros(),
)
def contact_centre_nightly():
    @task(**WRITES)
    def load_reference(data_interval_start=None, data_interval_end=None) -> dict:
        """Sites, programs, queues, calendars and holidays first: facts are read in their site's zone."""
        return nightly.load_family("reference", data_interval_start, data_interval_end)

    @task
    def source_families() -> list[str]:
        """The source families with exports in the landing (one load task each)."""
        return nightly.source_families()

    @task(**WRITES, map_index_template="{{ task.op_kwargs['family'] }}")
    def load(family: str, data_interval_start=None, data_interval_end=None) -> dict:
        """One source family's files for the night (acd, chat, ticketing, survey, qa, wfm, hr, ...)."""
        return nightly.load_family(family, data_interval_start, data_interval_end)

    # none_failed: a landing holding reference data only maps no load task (skipped), and the night is
    # still judged
    @task(**GATE, trigger_rule="none_failed")
    def raw_gate(run_id=None, params=None, data_interval_start=None, data_interval_end=None) -> dict:
        """Completeness of the raw entities for the night; no retry, fails the run on a failure."""
        allow = bool((params or {}).get("allow_incomplete"))
        return nightly.raw_gate(data_interval_start, data_interval_end, run_id, allow)

    dbt = nightly.dbt_task_group("dbt", WRITES)

    @task(**GATE)
    def mart_gate(run_id=None) -> dict:
        """The mart dbt built; no retry, nothing is published on a failure."""
        return nightly.mart_gate(run_id)

    @task(**WRITES, outlets=[nightly.MART])
    def publish(run_id=None, data_interval_start=None, data_interval_end=None, outlet_events=None) -> dict:
        """Atomic publication of mart.duckdb (the previous one is kept for `cxmart publish --rollback`)."""
        return nightly.publish(run_id, data_interval_start, data_interval_end, outlet_events)

    @task
    def score() -> dict:
        """The COPC scorecard of the published mart, in the task log."""
        return nightly.score()

    @task
    def report() -> str:
        """The HTML scorecard of the published mart."""
        return nightly.report()

    loaded = load.expand(family=source_families())
    chain(load_reference(), loaded, raw_gate(), dbt, mart_gate(), publish(), [score(), report()])


contact_centre_nightly()
