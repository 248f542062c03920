"""The raw gate's suites, one per canonical raw entity, and the compact profile frame each one validates.

Great Expectations has no DuckDB SQL datasource, and pulling millions of raw rows into
pandas would cost more than the pipeline. So each entity is first reduced in DuckDB to a
profile frame with one row per unit-day, (site, queue, local day) (reference entities: per
site, or per queue), holding counts of offending rows per check; the suite then expects
each count to be 0, and the volume ratio to stay within its band. The frame's
`site_id`, `queue_id` and `day` name every failure.

Checks (each a column of the frame and an expectation of the suite):
- `null_required`: rows without a required value;
- `duplicate_keys`: rows repeating a primary key;
- `duplicate_exports`: rows of a file exported again under another name (the loader skips
  the copy; the period still counts as exported twice while the copy is in the landing);
- range checks (negative waits and durations, ended before started, scores outside their
  scale, ...), per entity below; the loader already quarantines rows breaking the row rules of
  `connectors.schema.ROW_RULES` (with file and line), so these are the second line, and the
  first for the checks the loader leaves to the gate (milestones before the start, scales);
- referential checks (surveys and QA evaluations pointing at unknown contacts or agents,
  queues at unknown sites, ...), only when the referenced source is present;
- `contacts_without_one_terminal_outcome` (acd_contacts): inbound contacts whose segments
  end in zero or several terminal outcomes (anything but overflow and transfer);
- `missing_intervals` (wfm_forecasts, interval data): intervals of the queue's opening hours
  that a forecast snapshot covering the day lacks;
- `missing_day` and `volume_ratio` (dense activity sources): a unit is expected on a local
  day when it reported at least `min_daily_rows` rows (median) on at least two of the four
  same weekdays before it (the trailing 28 days) and the day is not a holiday of its
  calendar; an expected day without rows is missing, one with rows outside
  [band_low, band_high] x that median is out of its volume band (DECISIONLOG "Completeness
  Expects a Unit from Its Own Weekday History").

A scoped run (`scoped=True`, cxmart.gate decides when) profiles only the local days it judges and
the days their verdicts read (the four same weekdays before a judged day, and the day on either
side), listed per source in the temp table `_cx_gate_days (source, day, judged)`; its rows are
found through their UTC day first (`_cx_gate_utc (source, day)`), so the history is never
aggregated. Each judged unit-day gets the verdict a whole-history profile gives it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxmart.connectors import schema

INDEX_COLUMNS = ["site_id", "queue_id", "day"]


@dataclass(frozen=True)
class GateSettings:
    band_low: float = 0.2
    band_high: float = 5.0
    min_daily_rows: float = 10.0
    org_time_zone: str = "UTC"


@dataclass(frozen=True)
class RawSource:
    """How to profile one entity: where its unit and local day come from, and its own checks."""

    entity: str
    site: str | None = "t.site_id"
    queue: str | None = None
    at: str | None = None  # timestamptz of the row: its local day is taken in the site's zone
    date: str | None = None  # a local date already
    joins: str = ""
    dense: bool = False  # daily activity: continuity and volume band apply
    ranges: tuple[tuple[str, str], ...] = ()  # (check, SQL true when the row is out of range)
    # (check, SQL true when the row points at an unknown key, entities of which one must be present).
    # The SQL may name `{present_<entity>}`, replaced by true/false.
    refs: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


_QUEUE_JOIN = "left join raw.queues as _q on _q.queue_id = t.queue_id"
_QUEUE_SITE = "coalesce(t.site_id, _q.site_id)"
_KNOWN = (
    "left join (select distinct contact_id from ("
    "select contact_id from raw.acd_contacts union all select chat_id from raw.chat_sessions "
    "union all select ticket_id from raw.tickets)) as _k on _k.contact_id = t.contact_id "
    "left join (select distinct agent_id from (select employee_id as agent_id from raw.staff_roster "
    "union all select agent_id from raw.agent_states union all select agent_id from raw.wfm_schedules)) "
    "as _a on _a.agent_id = t.agent_id"
)
_UNKNOWN_CONTACT = (
    "t.contact_id is not null and _k.contact_id is null and case "
    "when t.channel = 'voice' then {present_acd_contacts} "
    "when t.channel = 'chat' then {present_chat_sessions} "
    "when t.channel is null then {present_acd_contacts} or {present_chat_sessions} or {present_tickets} "
    "else {present_tickets} end"
)
_CONTACT_SOURCES = ("acd_contacts", "chat_sessions", "tickets")
_AGENT_SOURCES = ("staff_roster", "agent_states", "wfm_schedules")

SOURCES: dict[str, RawSource] = {
    s.entity: s
    for s in (
        RawSource("sites", site="t.site_id"),
        RawSource("programs", site=None),
        RawSource(
            "queues",
            queue="t.queue_id",
            refs=(
                (
                    "unknown_sites",
                    "t.site_id is not null and t.site_id not in (select site_id from raw.sites)",
                    ("sites",),
                ),
                (
                    "unknown_programs",
                    "t.program_id is not null and t.program_id not in (select program_id from raw.programs)",
                    ("programs",),
                ),
            ),
        ),
        RawSource("calendars", site=None, ranges=(("closes_before_opens", "t.closes_at <= t.opens_at"),)),
        RawSource("holidays", site=None),
        RawSource(
            "acd_contacts",
            site=_QUEUE_SITE,
            queue="t.queue_id",
            at="t.offered_at",
            joins=_QUEUE_JOIN,
            dense=True,
            ranges=(
                (
                    "negative_durations",
                    "least(t.wait_seconds, t.talk_seconds, t.hold_seconds, t.acw_seconds) < 0",
                ),
                ("ended_before_started", "t.ended_at < t.offered_at or t.answered_at < t.offered_at"),
            ),
        ),
        RawSource(
            "agent_states",
            at="t.started_at",
            dense=True,
            ranges=(("ended_before_started", "t.ended_at < t.started_at"),),
        ),
        RawSource(
            "chat_sessions",
            site=_QUEUE_SITE,
            queue="t.queue_id",
            at="coalesce(t.requested_at, t.invited_at)",
            joins=_QUEUE_JOIN,
            dense=True,
            ranges=(
                ("negative_durations", "t.wrap_seconds < 0"),
                (
                    "ended_before_started",
                    "t.ended_at < coalesce(t.requested_at, t.invited_at) "
                    "or t.first_human_response_at < t.requested_at",
                ),
            ),
        ),
        RawSource(
            "chat_messages",
            site="_c.site_id",
            queue="_c.queue_id",
            at="t.sent_at",
            joins="left join raw.chat_sessions as _c on _c.chat_id = t.chat_id",
            refs=(("unknown_chats", "_c.chat_id is null", ("chat_sessions",)),),
        ),
        RawSource(
            "tickets",
            site=_QUEUE_SITE,
            queue="t.queue_id",
            at="t.received_at",
            joins=_QUEUE_JOIN,
            dense=True,
            ranges=(
                (
                    "ended_before_started",
                    "t.completed_at < t.received_at or t.first_response_at < t.received_at",
                ),
            ),
        ),
        RawSource(
            "ticket_events",
            site="_q.site_id",
            queue="t.queue_id",
            at="t.event_at",
            joins=_QUEUE_JOIN,
            refs=(
                (
                    "unknown_tickets",
                    "t.ticket_id not in (select ticket_id from raw.tickets)",
                    ("tickets",),
                ),
            ),
        ),
        RawSource(
            "survey_responses",
            at="t.responded_at",
            joins=_KNOWN,
            ranges=(
                (
                    "score_outside_scale",
                    "t.overall_score < t.overall_scale_min or t.overall_score > t.overall_scale_max "
                    "or t.effort_score < t.effort_scale_min or t.effort_score > t.effort_scale_max",
                ),
            ),
            refs=(
                ("unknown_contacts", _UNKNOWN_CONTACT, _CONTACT_SOURCES),
                ("unknown_agents", "t.agent_id is not null and _a.agent_id is null", _AGENT_SOURCES),
            ),
        ),
        RawSource(
            "qa_evaluations",
            at="t.evaluated_at",
            joins=_KNOWN,
            ranges=(("score_outside_scale", "t.score < 0 or t.score > 100 or t.defects < 0"),),
            refs=(
                ("unknown_contacts", _UNKNOWN_CONTACT, _CONTACT_SOURCES),
                ("unknown_agents", "t.agent_id is not null and _a.agent_id is null", _AGENT_SOURCES),
            ),
        ),
        RawSource(
            "wfm_schedules",
            at="t.started_at",
            dense=True,
            ranges=(("ended_before_started", "t.ended_at < t.started_at"),),
        ),
        RawSource(
            "wfm_forecasts",
            site="_q.site_id",
            queue="t.queue_id",
            at="t.interval_start",
            joins=_QUEUE_JOIN,
            ranges=(
                (
                    "negative_forecast",
                    "t.forecast_offered < 0 or t.forecast_aht_seconds < 0 or t.interval_minutes <= 0",
                ),
            ),
            refs=(("unknown_queues", "_q.queue_id is null", ("queues",)),),
        ),
        RawSource(
            "staff_roster",
            ranges=(("separated_before_hired", "t.separated_at < t.hired_at"),),
        ),
        RawSource(
            "absences",
            site="_r.site_id",
            date="t.date",
            joins=(
                "left join (select employee_id, any_value(site_id) as site_id from raw.staff_roster "
                "group by employee_id) as _r on _r.employee_id = t.employee_id"
            ),
            ranges=(("hours_outside_day", "t.hours < 0 or t.hours > 24"),),
            refs=(("unknown_employees", "_r.employee_id is null", ("staff_roster",)),),
        ),
        RawSource(
            "bot_conversations",
            site=None,
            at="t.started_at",
            ranges=(
                (
                    "inconsistent_counts",
                    "t.ended_at < t.started_at or t.questions_recognised > t.questions "
                    "or least(t.questions, t.questions_recognised, t.bot_messages) < 0",
                ),
            ),
        ),
        RawSource("program_costs", site=None, ranges=(("negative_cost", "t.total_cost < 0"),)),
        RawSource(
            "system_outages",
            site="t.site_id",
            at="t.started_at",
            ranges=(("ended_before_started", "t.ended_at < t.started_at"),),
            refs=(
                (
                    "unknown_queues",
                    "t.queue_id is not null and t.queue_id not in (select queue_id from raw.queues)",
                    ("queues",),
                ),
            ),
        ),
        RawSource("exchange_rates", site=None, ranges=(("non_positive_rate", "t.rate <= 0"),)),
    )
}
assert set(SOURCES) == set(schema.BY_NAME), "one raw suite per canonical entity"


def checks(src: RawSource, present: set[str]) -> list[str]:
    """The count columns of this entity's profile frame (each expected to be 0)."""
    out = ["null_required", "duplicate_keys", "duplicate_exports"]
    out += [name for name, _ in src.ranges]
    out += [name for name, _, needs in src.refs if present & set(needs)]
    if src.entity == "acd_contacts":
        out.append("contacts_without_one_terminal_outcome")
    if src.entity == "wfm_forecasts":
        out.append("missing_intervals")
    if src.dense:
        out.append("missing_day")
    return out


def _day_sql(src: RawSource, gs: GateSettings) -> str:
    if src.date:
        return f"cast({src.date} as date)"
    if not src.at:
        return "cast(null as date)"
    zone = "coalesce(_s.time_zone, 'UTC')" if src.site else f"'{gs.org_time_zone}'"
    return f"cast(timezone({zone}, {src.at}) as date)"


def _units(col: str) -> str:
    """A unit-day's distinct values of `col` (JSON list) over its flagged rows, else over all its rows."""
    flagged = f"list_sort(list(distinct {col}) filter (where _bad and {col} is not null))"
    every = f"list_sort(list(distinct {col}) filter (where {col} is not null))"
    return f"to_json(case when bool_or(_bad) then {flagged} else {every} end)"


def profile_sql(
    src: RawSource,
    present: set[str],
    duplicate_files: list[str],
    gs: GateSettings,
    night: tuple[str, str, str] | None = None,
    scoped: bool = False,
) -> str:
    """One SQL statement giving the entity's profile frame (one row per unit-day).

    Every unit-day of the history is profiled; the column `judged` says whether its verdict
    decides this run. Without a `night` every unit-day is judged. With a night (its key, first and
    last day) only these are, up to the night's last day: the night's own days, the unit-days whose
    rows came from a file version loaded for this night (a late or corrected file for an older day),
    the later same-weekday unit-days whose trailing window holds such a day (continuity and volume
    are judged against it); and rows without a day (reference data, judged every night). A day after
    the night is never judged by it, even when it is loaded already (a night run again later).

    `scoped`: only the unit-days of the judged days in `_cx_gate_days` (and rows without a day) are
    returned, computed from the rows of the days listed there (module docstring).
    """
    e = schema.entity(src.entity)
    presence = {f"present_{n}": str(n in present).lower() for n in schema.BY_NAME}
    required = [f"t.{c.name} is null" for c in e.columns if c.required]
    key = f"row({', '.join('t.' + k for k in e.primary_key)})" if e.primary_key else "null"
    dup_files = ", ".join(f"'{f}'" for f in duplicate_files) or "null"
    row_checks = list(src.ranges) + [
        (n, s.format(**presence)) for n, s, needs in src.refs if present & set(needs)
    ]
    site = src.site or "cast(null as varchar)"
    site_join = (
        f"left join raw.sites as _s on _s.site_id = {src.site}" if src.site and (src.at or src.date) else ""
    )
    if night is None:
        changed = "false"
        judged = "true"
    else:
        night_key, first, last = (x.replace("'", "''") for x in night)
        changed = f"t._file_id in (select file_id from raw._load_manifest where night = '{night_key}')"
        since = f"day >= date '{first}' or coalesce(_changed, false)" + (
            " or coalesce(_changed_before, false)" if src.dense else ""
        )
        judged = f"(day is null or (day <= date '{last}' and ({since})))"
    extra = ""
    if src.entity == "acd_contacts":
        extra = (
            ", t.contact_id as _contact, t.outcome as _outcome, t.direction as _direction, "
            "t.offered_at as _at"
        )
    if src.entity == "wfm_forecasts":
        extra = (
            ", t.interval_start as _at, t.horizon as _horizon, t.made_at as _made_at, "
            "coalesce(t.interval_minutes, 30) as _minutes, _q.calendar_id as _calendar, "
            "coalesce(_s.time_zone, 'UTC') as _tz"
        )
    # The programs and channels of a unit-day's failing rows (all its rows when no single row is
    # flagged, e.g. repeated keys), so a failure without a queue still marks its rows' program,
    # client and channel (DECISIONLOG "A Raw-Gate Failure Marks Every Unit of Its Rows").
    queue_joined = "as _q on" in src.joins
    unit_cols = {}
    for col in ("program_id", "channel"):
        own = f"t.{col}" if col in e.column_names else None
        via = f"_q.{col}" if queue_joined else None
        unit_cols[col] = f"coalesce({', '.join(x for x in (own, via) if x)})" if own or via else "null"
    flags = ["_null_required", "_duplicate_export"] + [f"_c_{name}" for name, _ in row_checks]
    scoping = scoped and bool(src.at or src.date)
    # scoped: the rows of the listed local days only (the prefilter took their UTC days and the day
    # either side, so every row of a listed local day is among them)
    listed = f"""
        rows_ as (
            select * from all_rows
            where day is null or day in (select day from _cx_gate_days where source = '{src.entity}')
        ),"""
    rows = f"""
        {"all_rows" if scoping else "rows_"} as (
            select
                {site} as site_id,
                cast({unit_cols["program_id"]} as varchar) as _program,
                cast({unit_cols["channel"]} as varchar) as _channel,
                {src.queue or "cast(null as varchar)"} as queue_id,
                {_day_sql(src, gs)} as day,
                coalesce({" or ".join(required) or "false"}, false) as _null_required,
                {key} as _key,
                t._file_id in ({dup_files}) as _duplicate_export,
                {changed} as _changed
                {"".join(f", coalesce({sql}, false) as _c_{name}" for name, sql in row_checks)}
                {extra}
            from raw.{src.entity} as t {src.joins} {site_join}
            {_scope_prefilter(src) if scoping else ""}
        ),{listed if scoping else ""}
        flagged as (
            select *, {" or ".join(flags)} as _bad from rows_
        )"""
    counts = ", ".join(f"count(*) filter (where _c_{name}) as {name}" for name, _ in row_checks)
    unit_days = f"""
        unit_days as (
            select
                site_id, queue_id, day, count(*) as rows,
                count(*) filter (where _null_required) as null_required,
                {"count(*) - count(distinct _key)" if e.primary_key else "0"} as duplicate_keys,
                count(*) filter (where _duplicate_export) as duplicate_exports,
                bool_or(_changed) as _changed,
                cast({_units("_program")} as varchar) as failing_programs,
                cast({_units("_channel")} as varchar) as failing_channels
                {", " + counts if counts else ""}
            from flagged
            group by all
        )"""
    ctes = [rows, unit_days]
    final = "unit_days"
    if src.entity == "acd_contacts":
        ctes.append("""
        terminal as (
            select arg_min(site_id, _at) as site_id, arg_min(queue_id, _at) as queue_id,
                arg_min(day, _at) as day
            from rows_
            where _direction is distinct from 'outbound'
            group by _contact
            having count(*) filter (where coalesce(_outcome, '') not in ('overflow', 'transfer')) <> 1
        ),
        terminal_days as (
            select site_id, queue_id, day, count(*) as contacts_without_one_terminal_outcome
            from terminal group by all
        ),
        with_terminal as (
            select u.*, coalesce(td.contacts_without_one_terminal_outcome, 0)
                as contacts_without_one_terminal_outcome
            from unit_days as u
            left join terminal_days as td
                on td.site_id is not distinct from u.site_id
                and td.queue_id is not distinct from u.queue_id
                and td.day is not distinct from u.day
        )""")
        final = "with_terminal"
    if src.entity == "wfm_forecasts":
        ctes.append(_FORECAST_INTERVALS)
        final = "with_intervals"
    if src.dense:
        ctes.append(_continuity_ctes(final, gs, src if scoping else None))
        final = "judged"
        select = (
            "select * exclude (_past, _holiday, expected, _changed, _changed_before), "
            "case when expected and rows = 0 then 1 else 0 end as missing_day, "
            "case when expected and rows > 0 then rows / typical end as volume_ratio, "
            f"{judged} as judged from judged"
        )
    else:
        select = f"select * exclude (_changed), {judged} as judged from {final}"
    if scoping:
        select += (
            " where day is null or day in "
            f"(select day from _cx_gate_days where source = '{src.entity}' and judged)"
        )
    return f"with {','.join(ctes)}\n{select}\norder by site_id, queue_id, day"


def _scope_prefilter(src: RawSource) -> str:
    """The WHERE of a scoped profile's scan: rows on the UTC days around the listed local days."""
    if src.date:
        return f"where {src.date} in (select day from _cx_gate_days where source = '{src.entity}')"
    return (
        f"where {src.at} is null or cast(timezone('UTC', {src.at}) as date) in "
        f"(select day from _cx_gate_utc where source = '{src.entity}')"
    )


def last_day_sql(src: RawSource, gs: GateSettings) -> str | None:
    """The entity's last local day with rows, from its rows of the last two UTC days only (a local
    day is at most a day from its UTC day); None for an entity without days."""
    if src.date:
        return f"select max({src.date}) from raw.{src.entity} as t"
    if not src.at:
        return None
    site_join = f"left join raw.sites as _s on _s.site_id = {src.site}" if src.site else ""
    # the entity's own joins only when its site comes through one (not a reference check's lookup
    # of every known contact, which cost 5 s at the L preset)
    joins = src.joins if src.site and not src.site.startswith("t.") else ""
    return (
        f"select max({_day_sql(src, gs)}) from raw.{src.entity} as t {joins} {site_join} "
        f"where {src.at} >= (select max({src.at}) from raw.{src.entity} as t) - interval 2 day"
    )


def last_utc_day_sql(src: RawSource) -> str | None:
    """The entity's last UTC day (its last local date for a dated entity); None without days."""
    if src.date:
        return f"select max(cast({src.date} as date)) from raw.{src.entity} as t"
    if not src.at:
        return None
    return f"select cast(timezone('UTC', max({src.at})) as date) from raw.{src.entity} as t"


def utc_days_sql(src: RawSource, where: str) -> str | None:
    """The distinct UTC days (local dates for a dated entity) of the entity's rows matching `where`."""
    if src.date:
        return f"select distinct cast({src.date} as date) from raw.{src.entity} as t where {where}"
    if not src.at:
        return None
    return (
        f"select distinct cast(timezone('UTC', {src.at}) as date) from raw.{src.entity} as t "
        f"where {src.at} is not null and ({where})"
    )


# Interval data has no holes in opening hours: every forecast snapshot (queue, horizon, made_at)
# that covers a local day holds every interval of the queue's opening hours that day (its
# calendar's weekday hours in the site's zone, DST-aware; none on its holidays). Reads the
# profile's own `rows_` (site, queue and local day already derived, plus the `extra` columns).
_FORECAST_INTERVALS = """
        snapshots as (
            select f.site_id, f.queue_id, f.day, f._horizon, f._made_at,
                max(f._minutes) as interval_minutes,
                count(distinct f._at) filter (
                    where f._at >= timezone(f._tz, f.day + c.opens_at)
                    and f._at < timezone(f._tz, f.day + c.closes_at)
                ) as present,
                any_value(epoch(timezone(f._tz, f.day + c.closes_at) - timezone(f._tz, f.day + c.opens_at)))
                    / 60 as open_minutes,
                bool_or(h.date is not null) as holiday
            from rows_ as f
            left join raw.calendars as c on c.calendar_id = f._calendar and c.weekday = isodow(f.day)
            left join raw.holidays as h on h.calendar_id = f._calendar and h.date = f.day
            group by all
        ),
        interval_days as (
            select site_id, queue_id, day,
                sum(case when holiday or open_minutes is null then 0
                    else greatest(0, ceil(open_minutes / interval_minutes) - present) end)
                    as missing_intervals
            from snapshots
            group by all
        ),
        with_intervals as (
            select u.*, coalesce(i.missing_intervals, 0) as missing_intervals
            from unit_days as u
            left join interval_days as i
                on i.site_id is not distinct from u.site_id
                and i.queue_id is not distinct from u.queue_id
                and i.day is not distinct from u.day
        )"""


def _continuity_ctes(base: str, gs: GateSettings, scoped: RawSource | None = None) -> str:
    """Every (unit, day) of the entity's span, with the unit's same-weekday history and holidays.

    Scoped: the days listed for the entity up to its last day (`last_day_sql`), which hold the four
    same weekdays before each judged day, so each judged day's window is the one it has in the span."""
    if scoped is None:
        days = "select unnest(generate_series(first_day, last_day, interval 1 day)) as day from span"
    else:
        days = (
            f"select day from _cx_gate_days where source = '{scoped.entity}' "
            f"and day >= (select first_day from span) and day <= (select last_day from _cx_gate_last "
            f"where source = '{scoped.entity}')"
        )
    return f"""
        span as (select min(day) as first_day, max(day) as last_day from {base}),
        units as (select distinct site_id, queue_id from {base} where day is not null),
        grid as (
            select units.site_id, units.queue_id, cast(d.day as date) as day
            from units
            cross join ({days}) as d
        ),
        filled as (
            select g.site_id, g.queue_id, g.day, coalesce(b.rows, 0) as rows,
                b.* exclude (site_id, queue_id, day, rows)
            from grid as g
            left join {base} as b
                on b.site_id is not distinct from g.site_id
                and b.queue_id is not distinct from g.queue_id
                and b.day = g.day
        ),
        queue_holidays as (
            select q.queue_id, q.site_id, h.date as day
            from raw.queues as q inner join raw.holidays as h on h.calendar_id = q.calendar_id
        ),
        site_holidays as (
            -- a site-level unit (agent states, schedules) shrinks when any of its queues closes
            select distinct site_id, day from queue_holidays
        ),
        history as (
            select f.*,
                list_filter(
                    list(f.rows) over (
                        partition by f.site_id, f.queue_id, isodow(f.day) order by f.day
                        rows between 4 preceding and 1 preceding
                    ),
                    lambda x: x > 0
                ) as _past,
                bool_or(coalesce(f._changed, false)) over (
                    partition by f.site_id, f.queue_id, isodow(f.day) order by f.day
                    rows between 4 preceding and 1 preceding
                ) as _changed_before,
                qh.day is not null or (f.queue_id is null and sh.day is not null) as _holiday
            from filled as f
            left join queue_holidays as qh on qh.queue_id = f.queue_id and qh.day = f.day
            left join site_holidays as sh on sh.site_id = f.site_id and sh.day = f.day
        ),
        judged as (
            select * exclude (rows), rows,
                list_aggregate(_past, 'median') as typical,
                len(_past) >= 2 and list_aggregate(_past, 'median') >= {gs.min_daily_rows}
                    and not _holiday as expected
            from history
        )"""


def suite_expectations(src: RawSource, present: set[str], gs: GateSettings) -> list:
    """The entity's suite: every count column 0, and the volume ratio within its band."""
    import great_expectations.expectations as gxe

    out = [
        gxe.ExpectColumnValuesToBeBetween(
            column=c, min_value=0, max_value=0, meta={"check": c, "expected": "0"}
        )
        for c in checks(src, present)
    ]
    if src.dense:
        out.append(
            gxe.ExpectColumnValuesToBeBetween(
                column="volume_ratio",
                min_value=gs.band_low,
                max_value=gs.band_high,
                meta={"check": "volume_outside_band", "expected": f"[{gs.band_low}, {gs.band_high}]"},
            )
        )
    return out
