"""The daily site x queue voice metrics three ways, for the benchmark's side-by-side (issue 12): one
hand-written DuckDB query over raw.acd_contacts (`limit`), the pandas groupby a user would write on
the same raw table (`pandas`), and what cxmart's dbt models give (`cxmart`: the voice day model and
mart.metric_values). `compare` says whether they agree, number for number.

Not part of cxmart: the metric's rule lives in the dbt models (fct_voice_segments,
int_voice__unit_days, macros/voice_rules.sql); `limit` and `pandas` restate it here only to be
timed against it and checked against it. The rules restated (METRICS.md section 1): inbound
segments (a missing direction counts as inbound) with a queue; local day of offered_at in the
segment's site zone (UTC when the site or its zone is missing); wait from the export, else answered
(or ended) minus offered; answered = outcome answered or transfer; short abandon = abandoned with
wait < the queue's short_abandon_seconds; service level per the queue's sl_formula; the queue's
settings default to 20 s, 5 s and copc_offered (SOURCES.md, dbt vars default_*).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["site_id", "queue_id", "day"]
COUNTS = ["offered", "answered", "abandoned", "short_abandoned", "sl_numerator", "sl_denominator"]
SUMS = ["answered_wait_seconds"]
RATES = ["service_level", "asa", "abandon_rate"]
COLUMNS = KEY + COUNTS + SUMS + RATES

# the documented defaults of a queue without settings (dbt_project.yml vars default_*)
DEFAULT_SL_SECONDS = 20
DEFAULT_SHORT_ABANDON_SECONDS = 5
DEFAULT_SL_FORMULA = "copc_offered"

LIMIT_SQL = f"""
with segments as (
    select
        c.site_id,
        c.queue_id,
        cast(timezone(coalesce(s.time_zone, 'UTC'), c.offered_at) as date) as day,
        c.outcome in ('answered', 'transfer') as is_answered,
        c.outcome = 'abandoned' as is_abandoned,
        c.outcome = 'callback' as is_callback,
        coalesce(c.wait_seconds, epoch(coalesce(c.answered_at, c.ended_at) - c.offered_at)) as wait,
        coalesce(q.service_level_seconds, {DEFAULT_SL_SECONDS}) as sl_t,
        coalesce(q.short_abandon_seconds, {DEFAULT_SHORT_ABANDON_SECONDS}) as short_t,
        coalesce(q.sl_formula, '{DEFAULT_SL_FORMULA}') as formula
    from raw.acd_contacts as c
    left join raw.queues as q on c.queue_id = q.queue_id
    left join raw.sites as s on c.site_id = s.site_id
    where coalesce(c.direction, 'inbound') = 'inbound' and c.queue_id is not null
),
days as (
    select
        site_id,
        queue_id,
        day,
        count(*) as offered,
        count(*) filter (where is_answered) as answered,
        count(*) filter (where is_abandoned) as abandoned,
        count(*) filter (where is_abandoned and wait < short_t) as short_abandoned,
        sum(case formula
            when 'abandons_positive'
                then cast((is_answered or is_abandoned or is_callback) and wait <= sl_t as int)
            else cast(is_answered and wait <= sl_t as int)
        end) as sl_numerator,
        sum(case formula
            when 'copc_offered' then 1 - cast(is_abandoned and wait < short_t as int)
            when 'answered_only' then cast(is_answered as int)
            else 1
        end) as sl_denominator,
        sum(case when is_answered then wait else 0 end) as answered_wait_seconds
    from segments
    group by site_id, queue_id, day
)
select
    *,
    case when sl_denominator > 0 then sl_numerator / sl_denominator end as service_level,
    case when answered > 0 then answered_wait_seconds / answered end as asa,
    case when offered - short_abandoned > 0
        then (abandoned - short_abandoned) / (offered - short_abandoned) end as abandon_rate
from days
"""


def limit(con) -> pd.DataFrame:
    """One single-pass DuckDB query over raw.acd_contacts (with the queue and site reference rows)."""
    return normalise(con.execute(LIMIT_SQL).df())


def pandas_way(con) -> pd.DataFrame:
    """The straightforward pandas version: read the raw tables, derive the flags, groupby."""
    calls = con.execute(
        "select site_id, queue_id, direction, offered_at, answered_at, ended_at, outcome, wait_seconds "
        "from raw.acd_contacts"
    ).df()
    queues = con.execute(
        "select queue_id, service_level_seconds, short_abandon_seconds, sl_formula from raw.queues"
    ).df()
    sites = con.execute("select site_id, time_zone from raw.sites").df()

    calls = calls[calls["direction"].fillna("inbound").eq("inbound") & calls["queue_id"].notna()]
    calls = calls.merge(queues, on="queue_id", how="left").merge(sites, on="site_id", how="left")
    sl_t = calls["service_level_seconds"].fillna(DEFAULT_SL_SECONDS)
    short_t = calls["short_abandon_seconds"].fillna(DEFAULT_SHORT_ABANDON_SECONDS)
    formula = calls["sl_formula"].fillna(DEFAULT_SL_FORMULA)
    tz = calls["time_zone"].fillna("UTC")

    day = pd.Series(pd.NaT, index=calls.index, dtype="datetime64[s]")
    for zone, rows in calls.groupby(tz).groups.items():
        local = calls.loc[rows, "offered_at"].dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()
        day.loc[rows] = local
    calls["day"] = day.dt.date

    elapsed = (calls["answered_at"].fillna(calls["ended_at"]) - calls["offered_at"]).dt.total_seconds()
    wait = calls["wait_seconds"].fillna(elapsed)
    answered = calls["outcome"].isin(["answered", "transfer"])
    abandoned = calls["outcome"].eq("abandoned")
    callback = calls["outcome"].eq("callback")
    short = abandoned & (wait < short_t)
    calls["is_answered"] = answered
    calls["is_abandoned"] = abandoned
    calls["is_short"] = short
    calls["sl_num"] = np.where(
        formula.eq("abandons_positive"),
        (answered | abandoned | callback) & (wait <= sl_t),
        answered & (wait <= sl_t),
    ).astype(int)
    calls["sl_den"] = np.select(
        [formula.eq("copc_offered"), formula.eq("answered_only")], [1 - short.astype(int), answered], 1
    ).astype(int)
    calls["answered_wait"] = wait.where(answered, 0.0)

    days = (
        calls.groupby(KEY)
        .agg(
            offered=("queue_id", "size"),
            answered=("is_answered", "sum"),
            abandoned=("is_abandoned", "sum"),
            short_abandoned=("is_short", "sum"),
            sl_numerator=("sl_num", "sum"),
            sl_denominator=("sl_den", "sum"),
            answered_wait_seconds=("answered_wait", "sum"),
        )
        .reset_index()
    )
    days["service_level"] = (days["sl_numerator"] / days["sl_denominator"]).where(days["sl_denominator"] > 0)
    days["asa"] = (days["answered_wait_seconds"] / days["answered"]).where(days["answered"] > 0)
    kept = days["offered"] - days["short_abandoned"]
    days["abandon_rate"] = ((days["abandoned"] - days["short_abandoned"]) / kept).where(kept > 0)
    return normalise(days)


# The voice day model's queue rows, as the dbt build left them (int_voice__unit_days is a view: the
# aggregation runs when it is read). A queue row names no site: `with_sites` adds it afterwards.
UNIT_DAYS_SQL = """
select
    cast(null as varchar) as site_id,
    u.unit_id as queue_id,
    u.period_start as day,
    u.offered, u.answered, u.abandoned, u.short_abandoned, u.sl_numerator, u.sl_denominator,
    u.answered_wait_seconds
from intermediate.int_voice__unit_days as u
where u.unit_level = 'queue'
"""

# The same numbers as BI reads them: mart.metric_values, queue level, day grain.
MART_SQL = """
with v as (
    select unit_id as queue_id, period_start as day, metric_id, numerator, denominator, value
    from mart.metric_values
    where unit_level = 'queue' and period_grain = 'day' and metric_id in (
        'voice_offered', 'voice_answered', 'voice_abandoned', 'voice_short_abandoned',
        'voice_service_level', 'voice_asa', 'voice_abandon_rate')
)
select
    cast(null as varchar) as site_id,
    v.queue_id,
    v.day,
    max(numerator) filter (where metric_id = 'voice_offered') as offered,
    max(numerator) filter (where metric_id = 'voice_answered') as answered,
    max(numerator) filter (where metric_id = 'voice_abandoned') as abandoned,
    max(numerator) filter (where metric_id = 'voice_short_abandoned') as short_abandoned,
    max(numerator) filter (where metric_id = 'voice_service_level') as sl_numerator,
    max(denominator) filter (where metric_id = 'voice_service_level') as sl_denominator,
    max(numerator) filter (where metric_id = 'voice_asa') as answered_wait_seconds,
    max(value) filter (where metric_id = 'voice_service_level') as service_level,
    max(value) filter (where metric_id = 'voice_asa') as asa,
    max(value) filter (where metric_id = 'voice_abandon_rate') as abandon_rate
from v
group by all
"""


# The dbt models the queue-day voice numbers come from (staging, the voice facts, the day model).
VOICE_SELECTOR = "+int_voice__unit_days"


def build_voice_models(settings) -> dict:
    """`dbt run --select +int_voice__unit_days --full-refresh` into the working warehouse, in
    process, as the pipeline's build stage runs dbt: every voice model computed from all raw rows
    (the incremental facts would otherwise rebuild only what changed since the last publication,
    here nothing), without their data tests (the limit and pandas validate nothing either); the
    nodes built and dbt's own execution time of them."""
    from dbt.cli.main import dbtRunner

    from cxmart import pipeline

    try:
        with pipeline.dbt_env(settings):
            res = dbtRunner().invoke(
                pipeline.dbt_args(settings, "run", "--select", VOICE_SELECTOR, "--full-refresh", "--quiet")
            )
    finally:
        pipeline.release_dbt()
    if not res.success:
        raise RuntimeError(f"dbt run --select {VOICE_SELECTOR} failed: {res.exception or res.result}")
    results = res.result.results
    return {
        "dbt_nodes": len(results),
        "dbt_node_seconds": round(sum(r.execution_time for r in results), 3),
    }


def cxmart_unit_days(con) -> pd.DataFrame:
    """The voice day model's queue rows; the rates from their parts as metric_values divides them."""
    days = con.execute(UNIT_DAYS_SQL).df()
    days["service_level"] = (days["sl_numerator"] / days["sl_denominator"]).where(days["sl_denominator"] > 0)
    days["asa"] = (days["answered_wait_seconds"] / days["answered"]).where(days["answered"] > 0)
    kept = days["offered"] - days["short_abandoned"]
    days["abandon_rate"] = ((days["abandoned"] - days["short_abandoned"]) / kept).where(kept > 0)
    return normalise(days)


def cxmart_mart(con) -> pd.DataFrame:
    """mart.metric_values' queue-day voice rows."""
    return normalise(con.execute(MART_SQL).df())


def with_sites(frame: pd.DataFrame, con) -> pd.DataFrame:
    """cxmart's queue rows with the site their segments name (done outside the timed part): a queue
    whose segments name two sites would show as two rows here and as a difference in `compare`."""
    sites = con.execute(
        "select distinct queue_id, site_id from raw.acd_contacts "
        "where queue_id is not null and coalesce(direction, 'inbound') = 'inbound'"
    ).df()
    return normalise(frame.drop(columns="site_id").merge(sites, on="queue_id", how="left"))


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """One shape for every way: the columns in order, counts as int64, the rest float64 (NaN for a
    rate without denominator), the day as an ISO date string, sorted by site, queue, day."""
    out = frame[COLUMNS].copy()
    out["day"] = pd.to_datetime(out["day"]).dt.strftime("%Y-%m-%d")
    for c in ("site_id", "queue_id"):
        out[c] = out[c].astype("object")
    for c in COUNTS:
        out[c] = out[c].astype("float64").astype("int64")
    for c in SUMS + RATES:
        out[c] = out[c].astype("float64")
    return out.sort_values(KEY, na_position="first").reset_index(drop=True)


def compare(ways: dict[str, pd.DataFrame], reference: str = "cxmart") -> dict:
    """Each way against `reference`: rows only on one side, and per column the rows whose values
    differ (exactly: NaN equals NaN) and the largest difference. `identical` when nothing differs."""
    base = ways[reference]
    out: dict = {"reference": reference, "rows": {k: len(v) for k, v in ways.items()}, "against": {}}
    identical = True
    for name, frame in ways.items():
        if name == reference:
            continue
        merged = base.merge(frame, on=KEY, how="outer", suffixes=("_ref", "_way"), indicator=True)
        only_ref = int((merged["_merge"] == "left_only").sum())
        only_way = int((merged["_merge"] == "right_only").sum())
        both = merged[merged["_merge"] == "both"]
        columns = {}
        for c in COUNTS + SUMS + RATES:
            a, b = both[f"{c}_ref"].astype("float64"), both[f"{c}_way"].astype("float64")
            differ = ~((a == b) | (a.isna() & b.isna()))
            if differ.any():
                diff = (a - b).abs()[differ]
                first = both[differ].iloc[0]
                columns[c] = {
                    "rows": int(differ.sum()),
                    "max_abs_diff": None if diff.isna().all() else float(diff.max()),
                    "example": {k: first[k] for k in KEY}
                    | {reference: _plain(first[f"{c}_ref"]), name: _plain(first[f"{c}_way"])},
                }
        same = not (only_ref or only_way or columns)
        identical = identical and same
        out["against"][name] = {
            "identical": same,
            f"rows_only_in_{reference}": only_ref,
            f"rows_only_in_{name}": only_way,
            "differing_columns": columns,
        }
    out["identical"] = identical
    return out


def _plain(v):
    return None if pd.isna(v) else float(v)
