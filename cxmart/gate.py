"""The completeness gates: run the Great Expectations suites of `expectations/` on profile frames
computed in DuckDB, record every result in `audit.validation_results`, and build GX Data Docs.

The raw gate runs after load and before dbt; its failures (per source, site, queue and local
day) are what dbt reads to mark metric-months `incomplete_source`. The mart gate runs on
`mart.metric_values` in the working warehouse before publication. Each suite is validated
with its own ValidationDefinition (the frames differ per entity); Data Docs are built once
per gate run, under `<reports>/data_docs/`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import fsspec

from .config import Settings
from .connectors import schema
from .expectations import mart as mart_suite
from .expectations import raw as raw_suites
from .expectations.raw import GateSettings

# Great Expectations imports pyspark when it is installed (the spark extra), and pyspark warns once
# that it has not been tested with pandas 3; the gates never use pyspark.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)

log = logging.getLogger(__name__)

ENV_BAND_LOW = "CXMART_VOLUME_BAND_LOW"
ENV_BAND_HIGH = "CXMART_VOLUME_BAND_HIGH"
ENV_MIN_ROWS = "CXMART_GATE_MIN_DAILY_ROWS"

RESULTS = "audit.validation_results"
RUN_SEQ = "audit.gate_run_seq"
# One row per raw gate run: what it judged (every unit-day, or the days the changes since the last
# publication reach) and the fingerprint (settings, sources present, checks) a scoped run must share
# with the run before it.
RAW_RUNS = "audit.raw_gate_runs"
# Bump when a raw check changes meaning: the next run then judges the whole history again.
RAW_CHECKS_VERSION = 1
_AUDIT_DDL = (
    "create schema if not exists audit",
    # the order of gate runs, as the warehouse saw them (never the wall clock)
    f"create sequence if not exists {RUN_SEQ}",
    f"""create table if not exists {RESULTS} (
        run_id varchar not null,
        validated_at timestamptz not null,
        gate varchar not null,
        suite varchar not null,
        expectation varchar not null,
        source varchar,
        site_id varchar,
        queue_id varchar,
        unit varchar,
        day date,
        success boolean not null,
        observed_value double,
        expected varchar,
        run_seq bigint,
        night varchar,
        blocking boolean,
        failing_programs varchar,
        failing_channels varchar
    )""",
    # warehouses made before gate runs were numbered and keyed by night
    f"alter table {RESULTS} add column if not exists run_seq bigint",
    f"alter table {RESULTS} add column if not exists night varchar",
    f"alter table {RESULTS} add column if not exists blocking boolean",
    # warehouses made before a failure named the programs and channels of its rows
    f"alter table {RESULTS} add column if not exists failing_programs varchar",
    f"alter table {RESULTS} add column if not exists failing_channels varchar",
    f"""create table if not exists {RAW_RUNS} (
        run_id varchar not null,
        run_seq bigint not null,
        night varchar,
        scope varchar not null,
        judged_from date,
        judged_days integer,
        fingerprint varchar not null,
        validated_at timestamptz not null
    )""",
)
_COLUMNS = (
    "run_id, validated_at, gate, suite, expectation, source, site_id, queue_id, unit, day, success, "
    "observed_value, expected, blocking, failing_programs, failing_channels, run_seq, night"
)
# The raw profile's JSON lists of the programs and channels of a failing unit-day's rows.
_UNIT_LISTS = ("failing_programs", "failing_channels")


class GateError(Exception):
    """A gate setting is wrong; the message says which."""


@dataclass
class Failure:
    suite: str
    expectation: str
    source: str | None
    site_id: str | None
    queue_id: str | None
    unit: str | None
    day: dt.date | None
    observed: float | None
    expected: str
    # Does this failure decide the run? Always, without a night; with a night, only on the unit-days
    # the night judges (its days, and the days its files changed). The others are still recorded,
    # and still mark their metric periods incomplete_source.
    blocking: bool = True


@dataclass
class GateReport:
    gate: str  # raw | mart
    run_id: str
    failures: list[Failure] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # sources without files ever
    suites: int = 0
    docs: Path | None = None
    night: str | None = None  # the night judged (its key), None for the whole history
    # raw gate: 'full' (every unit-day of the history) or 'changes' (the days the raw changes since
    # the last publication reach, the night's days and the days failing before), and why
    scope: str = "full"
    scope_reason: str = ""

    @property
    def blocking(self) -> list[Failure]:
        return [f for f in self.failures if f.blocking]

    @property
    def success(self) -> bool:
        return not self.blocking


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def gate_settings(settings: Settings) -> GateSettings:
    def number(env: str, default: float) -> float:
        raw = os.environ.get(env, "")
        try:
            value = float(raw) if raw else default
        except ValueError:
            raise GateError(f"{env} must be a number, not {raw!r}") from None
        if value < 0 or math.isnan(value):
            raise GateError(f"{env} must not be negative")
        return value

    gs = GateSettings(
        band_low=number(ENV_BAND_LOW, GateSettings.band_low),
        band_high=number(ENV_BAND_HIGH, GateSettings.band_high),
        min_daily_rows=number(ENV_MIN_ROWS, GateSettings.min_daily_rows),
        org_time_zone=settings.org_time_zone,
    )
    if gs.band_low > gs.band_high:
        raise GateError(f"{ENV_BAND_LOW} ({gs.band_low}) is above {ENV_BAND_HIGH} ({gs.band_high})")
    return gs


def ensure_audit_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The audit schema and its results table; always there, empty before the first gate run."""
    for ddl in _AUDIT_DDL:
        con.execute(ddl)


# -- Great Expectations ------------------------------------------------------------------------


class _Validator:
    """One ephemeral GX context per gate run: one pandas asset, suite and validation per frame."""

    def __init__(self, reports: Path) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self.gx = gx
        self.docs_dir = reports / "data_docs"
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
            data_docs_sites={
                "cxmart": {
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(self.docs_dir),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                }
            },
        )
        self.context = gx.get_context(project_config=config, mode="ephemeral")
        self.source = self.context.data_sources.add_pandas("cxmart_profiles")

    def validate(self, suite_name: str, frame, expectations: list, index: list[str]):
        gx = self.gx
        asset = self.source.add_dataframe_asset(suite_name)
        batch = asset.add_batch_definition_whole_dataframe("profile")
        suite = self.context.suites.add(gx.ExpectationSuite(name=suite_name, expectations=expectations))
        vd = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
        )
        return vd.run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index},
        )

    def build_docs(self) -> Path:
        self.context.build_data_docs(site_names=["cxmart"])
        return self.docs_dir / "index.html"


def _value(v):
    if v is None:
        return None
    try:
        if v != v:  # NaN / NaT
            return None
    except (TypeError, ValueError):
        pass
    return v


def _collect(report: GateReport, suite: str, source: str | None, result, index: list[str]) -> list[list]:
    """Audit rows of one suite's validation, and its failures into the report."""
    rows = []
    now = dt.datetime.now(dt.UTC)
    for er in result.results:
        cfg = er.expectation_config
        check = (cfg.meta or {}).get("check", cfg.type)
        expected = (cfg.meta or {}).get("expected", "")
        res = er.result or {}
        if er.success:
            rows.append(
                [report.run_id, now, report.gate, suite, check, source, None, None, None, None, True,
                 res.get("element_count"), expected, False]
            )  # fmt: skip
            continue
        column = cfg.kwargs.get("column")
        for item in res.get("unexpected_index_list") or [{}]:
            key = {k: _value(item.get(k)) for k in index}
            observed = _value(item.get(column))
            if report.gate == "raw":
                site, queue, day = key.get("site_id"), key.get("queue_id"), key.get("day")
                unit = "/".join(x for x in (site, queue) if x) or None
            else:
                site = key.get("unit_id") if key.get("unit_level") == "site" else None
                queue = key.get("unit_id") if key.get("unit_level") == "queue" else None
                day = key.get("month")
                unit = f"{key.get('unit_level')}:{key.get('unit_id')}"
                source = key.get("metric_id")
            if isinstance(day, dt.datetime):
                day = day.date()
            obs = float(observed) if observed is not None else None
            blocking = bool(key.get("judged", True))
            report.failures.append(
                Failure(suite, check, source, site, queue, unit, day, obs, expected, blocking)
            )
            rows.append(
                [report.run_id, now, report.gate, suite, check, source, site, queue, unit, day, False,
                 obs, expected, blocking, *(_value(item.get(k)) for k in _UNIT_LISTS if k in index)]
            )  # fmt: skip
    return rows


def _write(
    con: duckdb.DuckDBPyConnection, rows: list[list], night: str | None = None, seq: int | None = None
) -> None:
    """Record one gate run's rows under its run number (the next of this warehouse unless given)."""
    ensure_audit_schema(con)
    if rows:
        if seq is None:
            seq = con.execute(f"select nextval('{RUN_SEQ}')").fetchone()[0]
        con.executemany(
            f"insert into {RESULTS} ({_COLUMNS}) values ({', '.join('?' * 18)})",
            [[*r, *[None] * (16 - len(r)), seq, night] for r in rows],
        )


# -- the raw gate ------------------------------------------------------------------------------


def _present_sources(con) -> tuple[set[str], set[str]]:
    """(entities with rows now, entities that ever had a file loaded)."""
    with_rows = {
        e.name for e in schema.ENTITIES if con.execute(f"select count(*) from raw.{e.name}").fetchone()[0]
    }
    ever = {
        r[0]
        for r in con.execute(
            "select distinct entity from raw._load_manifest "
            "where status in ('loaded', 'replaced', 'duplicate')"
        ).fetchall()
    }
    return with_rows, ever


def _duplicate_twins(con, settings: Settings) -> list[str]:
    """File ids of loaded files whose content was exported again under another name, while that
    copy is still in the landing (removing the copy clears the failure)."""
    rows = con.execute(
        "select d.path, l.file_id from raw._load_manifest as d "
        "inner join raw._load_manifest as l on l.entity = d.entity and l.content_hash = d.content_hash "
        "and l.status = 'loaded' where d.status = 'duplicate'"
    ).fetchall()
    if not rows:
        return []
    fs, _ = fsspec.core.url_to_fs(settings.landing)
    return sorted({fid for path, fid in rows if fs.exists(path)})


def _fingerprint(gs: GateSettings, present: set[str]) -> str:
    """What a run's verdicts depend on besides the raw rows: a scoped run needs the same as before."""
    return json.dumps(
        {
            "checks": RAW_CHECKS_VERSION,
            "band": [gs.band_low, gs.band_high],
            "min_daily_rows": gs.min_daily_rows,
            "org_time_zone": gs.org_time_zone,
            "present": sorted(present),
        },
        sort_keys=True,
    )


def _days(first: dt.date, last: dt.date) -> set[dt.date]:
    return {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}


# The days a judged day's verdict reads besides its own: the four same weekdays before it (continuity
# and volume, dense sources only) and the day on either side (a contact crossing midnight).
_WINDOW_DENSE = (-28, -21, -14, -7, -1, 1)
_WINDOW = (-1, 1)


def _scope(
    con, fingerprint: str, night, twins: list[str], full: bool
) -> tuple[dict[str, set[dt.date]] | None, str, dt.date | None]:
    """The local days a raw gate run judges per dated source (None: every unit-day), why, and the
    first day the pending raw changes reach.

    Scoped when the run before it had the same fingerprint and no reference entity changed since
    the last publication (zones, queues and calendars feed every verdict): the days from the day
    before the first changed UTC day on (a UTC day is the day before or after in a site's zone, and
    a change there reaches the later days' weekday windows), the night's days, the days failing in
    the run before (so a failure clears, whatever cleared it) and the days of rows in a file
    exported twice. Every other unit-day keeps its verdict: it passed, and nothing it reads changed.
    """
    from .connectors.loader import CHANGES

    if full:
        return None, "asked for", None
    last = con.execute(
        f"select run_seq, fingerprint from {RAW_RUNS} order by run_seq desc limit 1"
    ).fetchone()
    if last is None:
        return None, "no run before it", None
    if last[1] != fingerprint:
        return None, "gate settings, checks or present sources changed", None
    if con.execute(f"select count(*) from {CHANGES} where day is null").fetchone()[0]:
        return None, "reference data changed", None
    first = con.execute(f"select min(day) from {CHANGES}").fetchone()[0]
    failing: dict[str, set[dt.date]] = {}
    for source, day in con.execute(
        f"select distinct source, day from {RESULTS} where gate = 'raw' and not success "
        f"and day is not null and run_seq = (select max(run_seq) from {RESULTS} where gate = 'raw')"
    ).fetchall():
        failing.setdefault(source, set()).add(day)
    twin_ids = ", ".join("'" + t.replace("'", "''") + "'" for t in twins)
    scope: dict[str, set[dt.date]] = {}
    for e in schema.ENTITIES:
        src = raw_suites.SOURCES[e.name]
        if not (src.at or src.date):
            continue
        days = set(failing.get(e.name, ()))
        if night is not None:
            days |= set(night.days)
        if first is not None:
            top = con.execute(raw_suites.last_utc_day_sql(src)).fetchone()[0]
            if top is not None and top >= first - dt.timedelta(days=1):
                days |= _days(first - dt.timedelta(days=1), top + dt.timedelta(days=1))
        if twin_ids:
            for (day,) in con.execute(raw_suites.utc_days_sql(src, f"t._file_id in ({twin_ids})")).fetchall():
                days |= _days(day - dt.timedelta(days=1), day + dt.timedelta(days=1))
        scope[e.name] = days
    return scope, "changes", first


def _write_scope(con, scope: dict[str, set[dt.date]], gs: GateSettings) -> None:
    """The temp tables a scoped profile reads: per source, its judged days with the days their
    verdicts read (_cx_gate_days), the UTC days holding those days' rows (_cx_gate_utc) and its
    last local day (_cx_gate_last)."""
    gate_days, utc_days = [], []
    for source, judged in scope.items():
        window = _WINDOW_DENSE if raw_suites.SOURCES[source].dense else _WINDOW
        listed = {d: True for d in judged}
        for d in judged:
            for offset in window:
                listed.setdefault(d + dt.timedelta(days=offset), False)
        gate_days += [(source, d, j) for d, j in listed.items()]
        utc = {d + dt.timedelta(days=o) for d in listed for o in (-1, 0, 1)}
        utc_days += [(source, d) for d in utc]
    con.execute("create or replace temp table _cx_gate_days (source varchar, day date, judged boolean)")
    con.execute("create or replace temp table _cx_gate_utc (source varchar, day date)")
    con.execute("create or replace temp table _cx_gate_last (source varchar, last_day date)")
    if gate_days:
        con.executemany("insert into _cx_gate_days values (?, ?, ?)", gate_days)
        con.executemany("insert into _cx_gate_utc values (?, ?)", utc_days)
    for source in scope:
        sql = raw_suites.last_day_sql(raw_suites.SOURCES[source], gs)
        con.execute(f"insert into _cx_gate_last select ?, ({sql})", [source])


def run_raw_gate(settings: Settings, run_id: str | None = None, night=None, full: bool = False) -> GateReport:
    """Validate every canonical raw entity; record the results; build Data Docs.

    The verdict of every unit-day of the history is recorded on every run (dbt marks each failing
    one incomplete_source). A run judges them all when asked (`full`), on its first run, and when
    reference data, the gate's settings or the sources present changed; otherwise it judges the
    days that the raw changes since the last publication reach (with the night's days and the days
    failing before, `_scope`) and every other unit-day keeps the verdict it had (it passed). `night`
    (a cxmart.night.Night) says which failures decide the run: those on the unit-days the night
    judges (see expectations.raw.profile_sql); without it, all of them.
    """
    gs = gate_settings(settings)
    report = GateReport("raw", run_id or new_run_id(), night=night.key if night else None)
    keyed = (night.key, night.first_day.isoformat(), night.last_day.isoformat()) if night else None
    index = raw_suites.INDEX_COLUMNS + ["judged", *_UNIT_LISTS]
    frames = []
    with settings.connect() as con:
        from .connectors.loader import ensure_raw_schema

        ensure_raw_schema(con)
        ensure_audit_schema(con)
        present, ever = _present_sources(con)
        twins = _duplicate_twins(con, settings)
        fingerprint = _fingerprint(gs, present)
        scope, why, first = _scope(con, fingerprint, night, twins, full)
        if scope is not None:
            _write_scope(con, scope, gs)
            report.scope = "changes"
            judged = sorted(set().union(*scope.values())) if scope else []
            report.scope_reason = (
                f"from {first - dt.timedelta(days=1)}" if first else "no raw changes"
            ) + f"; {len(judged)} day(s) judged"
        else:
            report.scope, report.scope_reason = "full", why
        log.info("raw gate scope: %s (%s)", report.scope, report.scope_reason)
        for e in schema.ENTITIES:
            if e.name not in ever and e.name not in present:
                report.absent.append(e.name)
                continue
            src = raw_suites.SOURCES[e.name]
            sql = raw_suites.profile_sql(src, present, twins, gs, keyed, scoped=scope is not None)
            frames.append((src, con.execute(sql).df()))
    validator = _Validator(settings.reports)
    rows = []
    now = dt.datetime.now(dt.UTC)
    for name in report.absent:
        rows.append([report.run_id, now, "raw", f"raw.{name}", "source_absent", name,
                     None, None, None, None, True, None, "no files ever: absent", False])  # fmt: skip
    for src, frame in frames:
        suite = f"raw.{src.entity}"
        if frame.empty and src.entity in present:
            continue  # a scoped run: none of its rows is on a day this run judges
        if frame.empty:
            report.failures.append(
                Failure(suite, "source_empty", src.entity, None, None, None, None, 0, ">0")
            )
            rows.append([report.run_id, now, "raw", suite, "source_empty", src.entity,
                         None, None, None, None, False, 0.0, "rows in a source that has files",
                         True])  # fmt: skip
            continue
        expectations = raw_suites.suite_expectations(src, present, gs)
        result = validator.validate(suite, frame, expectations, index)
        rows += _collect(report, suite, src.entity, result, index)
        report.suites += 1
    with settings.connect() as con:
        # the results and the run's scope together: the next run's scope reads both
        con.begin()
        seq = con.execute(f"select nextval('{RUN_SEQ}')").fetchone()[0]
        _write(con, rows, report.night, seq)
        judged_days = len(set().union(*scope.values())) if scope else None
        con.execute(
            f"insert into {RAW_RUNS} values (?, ?, ?, ?, ?, ?, ?, now())",
            [report.run_id, seq, report.night, report.scope,
             first - dt.timedelta(days=1) if scope is not None and first else None,
             judged_days, fingerprint],
        )  # fmt: skip
        con.commit()
    report.docs = _docs(validator)
    return report


def _docs(validator: _Validator) -> Path | None:
    try:
        return validator.build_docs()
    except Exception as exc:  # Data Docs are a report; a rendering problem must not fail the gate
        log.warning("GX Data Docs not built: %s", exc)
        return None


# -- the mart gate -----------------------------------------------------------------------------


def run_mart_gate(settings: Settings, run_id: str | None = None) -> GateReport:
    """Validate `mart.metric_values` in the working warehouse; record the results."""
    gs = gate_settings(settings)
    report = GateReport("mart", run_id or new_run_id())
    with settings.connect() as con:
        from .connectors.loader import ensure_raw_schema

        ensure_raw_schema(con)
        has_mart = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'mart' and table_name = 'metric_values'"
        ).fetchone()[0]
        if not has_mart:
            now = dt.datetime.now(dt.UTC)
            report.failures.append(
                Failure("mart.metric_values", "mart_built", None, None, None, None, None, None, "built")
            )
            _write(con, [[report.run_id, now, "mart", "mart.metric_values", "mart_built", None, None,
                          None, None, None, False, None, "mart.metric_values built by dbt",
                          True]])  # fmt: skip
            return report
        driving = [
            r[0]
            for r in con.execute(
                "select distinct string_split(trim(source_entities), ' ')[1] from reference.metric_gate"
            ).fetchall()
        ]
        frame = con.execute(mart_suite.profile_sql(driving, gs)).df()
    validator = _Validator(settings.reports)
    rows = []
    if not frame.empty:
        result = validator.validate(
            "mart.metric_values", frame, mart_suite.suite_expectations(), mart_suite.INDEX_COLUMNS
        )
        rows = _collect(report, "mart.metric_values", None, result, mart_suite.INDEX_COLUMNS)
        report.suites = 1
    with settings.connect() as con:
        _write(con, rows)
    report.docs = _docs(validator)
    return report
