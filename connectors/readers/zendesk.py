"""Zendesk Support, as Fivetran lands it -> tickets, ticket_events, calendars and holidays.

Reads the Fivetran tables of `<landing>/zendesk/` together (file names with or without the `_data`
suffix): `ticket` (drives), `ticket_field_history` (status, group, assignee and priority changes),
`ticket_comment` and `user` (the first public agent reply), `ticket_sla_policy` and
`sla_policy_metric_history` (the policy's first-reply target), `schedule`, `schedule_holiday` and
`ticket_schedule` (business hours). Other Zendesk tables are skipped. Field meanings follow
Fivetran's dbt_zendesk package (a commenter's role from `user.role`; a public comment by an agent or
admin after the request is a reply). Mapping decisions: DECISIONLOG "Zendesk Reader".
"""

from __future__ import annotations

from .base import (
    COMMON_KEYS,
    Placement,
    Reader,
    ReaderError,
    Staged,
    Staging,
    Unit,
    code_map,
    col,
    in_list,
    map_case,
    q,
    values,
)

TABLES = (
    "ticket", "ticket_field_history", "ticket_comment", "user", "ticket_sla_policy",
    "sla_policy_metric_history", "schedule", "schedule_holiday", "ticket_schedule",
)  # fmt: skip
STATUSES = ("new", "open", "pending", "hold", "on-hold", "solved", "closed", "deleted")
# Zendesk's `via_channel` -> the canonical ticket channel; None: a ticket that records a live
# contact (a call, a chat) the ACD or chat source already counts. sources.yml zendesk.channels
# adds or overrides.
CHANNELS = {
    "email": "email", "web": "web", "web_form": "web", "api": "web", "mobile": "web",
    "mobile_sdk": "web", "help_center": "web", "web_widget": "web", "web_service": "web", "rule": "web",
    "closed_ticket": "web", "ticket_sharing": "web", "side_conversation": "web", "sample_ticket": "web",
    "twitter": "social", "facebook": "social", "instagram_dm": "social", "whatsapp": "social",
    "line": "social", "wechat": "social", "any_channel": "social",
    "voice": None, "chat": None, "native_messaging": None, "sms": None,
}  # fmt: skip
_TICKET_CHANNELS = ("email", "web", "social", "letter", "backoffice")
# Zendesk (Rails) time-zone names of schedules -> IANA; sources.yml zendesk.time_zones adds more.
RAILS_ZONES = {
    "Pacific Time (US & Canada)": "America/Los_Angeles", "Mountain Time (US & Canada)": "America/Denver",
    "Central Time (US & Canada)": "America/Chicago", "Eastern Time (US & Canada)": "America/New_York",
    "Arizona": "America/Phoenix", "Alaska": "America/Juneau", "Hawaii": "Pacific/Honolulu",
    "Atlantic Time (Canada)": "America/Halifax", "Mexico City": "America/Mexico_City",
    "Bogota": "America/Bogota", "Brasilia": "America/Sao_Paulo",
    "Buenos Aires": "America/Argentina/Buenos_Aires",
    "UTC": "Etc/UTC", "London": "Europe/London", "Dublin": "Europe/Dublin", "Lisbon": "Europe/Lisbon",
    "Edinburgh": "Europe/London", "Amsterdam": "Europe/Amsterdam", "Berlin": "Europe/Berlin",
    "Brussels": "Europe/Brussels", "Copenhagen": "Europe/Copenhagen", "Madrid": "Europe/Madrid",
    "Paris": "Europe/Paris", "Rome": "Europe/Rome", "Stockholm": "Europe/Stockholm",
    "Vienna": "Europe/Vienna",
    "Warsaw": "Europe/Warsaw", "Prague": "Europe/Prague", "Zurich": "Europe/Zurich",
    "Athens": "Europe/Athens",
    "Helsinki": "Europe/Helsinki", "Istanbul": "Europe/Istanbul", "Moscow": "Europe/Moscow",
    "Jerusalem": "Asia/Jerusalem", "Cairo": "Africa/Cairo", "Johannesburg": "Africa/Johannesburg",
    "Dubai": "Asia/Dubai", "Mumbai": "Asia/Kolkata", "New Delhi": "Asia/Kolkata",
    "Singapore": "Asia/Singapore",
    "Hong Kong": "Asia/Hong_Kong", "Beijing": "Asia/Shanghai", "Tokyo": "Asia/Tokyo", "Seoul": "Asia/Seoul",
    "Sydney": "Australia/Sydney", "Melbourne": "Australia/Melbourne", "Auckland": "Pacific/Auckland",
    "Montevideo": "America/Montevideo",
}  # fmt: skip
_TS_FMT = "'%Y-%m-%dT%H:%M:%S.%f'"


class ZendeskReader(Reader):
    name = "zendesk"
    folders = ("zendesk",)
    entities = ("tickets", "ticket_events", "calendars", "holidays")
    keys = (*COMMON_KEYS, "channels", "time_zones", "schedule_id", "time_spent_field")
    tables = TABLES
    required = ("ticket",)

    def prepare(self, st: Staging, unit: Unit) -> None:
        present = self.present(unit)
        unit.state["headers"] = headers = {}
        for table in TABLES:
            name = f"_cx_z_{table}"
            if table in present:
                headers[table] = self.read_table(st, present[table], name)
            else:
                headers[table] = []
        cfg, _ = self.declared(st)
        zone = cfg.get("time_zone") or st.time_zone_for("tickets")
        h = headers

        def c(table: str, alias: str, name: str) -> str:
            return col(h[table], alias, name)

        # The instant of a Fivetran timestamp (no offset) in the declared zone; NULL without one.
        def instant(expr: str) -> str:
            return f"timezone({q(zone)}, try_cast({expr} as timestamp))" if zone else "null::timestamptz"

        not_deleted = lambda t, a: f"coalesce(lower({c(t, a, '_fivetran_deleted')}), 'false') <> 'true'"  # noqa: E731
        # The Time Tracking app's total time spent: a ticket column, else a custom field's history.
        spent = str(cfg.get("time_spent_field") or "")
        st.temp("_cx_z_tk")
        st.con.execute(f"""
            create temp table _cx_z_tk as
            select t._ord, trim(t.id) as ticket_id, {c("ticket", "t", "created_at")} as created_at,
                {instant(c("ticket", "t", "created_at"))} as created,
                {c("ticket", "t", "updated_at")} as updated_at,
                lower({c("ticket", "t", "status")}) as status,
                lower({c("ticket", "t", "priority")}) as priority,
                {c("ticket", "t", "group_id")} as group_id, {c("ticket", "t", "assignee_id")} as assignee_id,
                {c("ticket", "t", "requester_id")} as requester_id,
                lower({c("ticket", "t", "via_channel")}) as via_channel,
                {c("ticket", "t", "due_at")} as due_at,
                {c("ticket", "t", "type")} as ticket_type, {c("ticket", "t", "problem_id")} as problem_id,
                {c("ticket", "t", "brand_id")} as brand_id,
                {c("ticket", "t", spent) if spent in h["ticket"] else "null::varchar"} as time_spent
            from _cx_z_ticket as t
            where {not_deleted("ticket", "t")}
            qualify row_number() over (
                partition by trim(t.id)
                order by {c("ticket", "t", "_fivetran_synced")} desc nulls last, t._ord desc
            ) = 1
        """)
        # Field history: each change once (Fivetran repeats rows), with the value before it.
        history = "_cx_z_ticket_field_history"
        if not h["ticket_field_history"]:
            st.con.execute(
                f"create temp table {history} (_ord bigint, field_name varchar, ticket_id varchar, "
                "updated varchar, value varchar)"
            )
            h["ticket_field_history"] = ["field_name", "ticket_id", "updated", "value"]
            st.temp(history)
        st.temp("_cx_z_hist")
        st.con.execute(f"""
            create temp table _cx_z_hist as
            select f._ord, lower(trim(f.field_name)) as field, trim(f.ticket_id) as ticket_id,
                {c("ticket_field_history", "f", "updated")} as updated_at,
                {instant(c("ticket_field_history", "f", "updated"))} as changed_at,
                {c("ticket_field_history", "f", "value")} as value,
                row_number() over (
                    partition by lower(trim(f.field_name)), trim(f.ticket_id),
                        {c("ticket_field_history", "f", "updated")}, {c("ticket_field_history", "f", "value")}
                    order by f._ord
                ) as _copy
            from {history} as f
        """)
        unit.state["zone"] = zone
        unit.state["present"] = present

    # -- helpers -----------------------------------------------------------------------------------

    def _as_of(self, field: str, at: str, ticket: str) -> str:
        """The value of a history field at an instant (the latest change at or before it)."""
        return (
            f"(select arg_max(hx.value, hx.changed_at) from _cx_z_hist as hx where hx.field = {q(field)} "
            f"and hx.ticket_id = {ticket} and hx._copy = 1 and hx.changed_at <= {at})"
        )

    def _zone_map(self, cfg: dict) -> dict[str, str]:
        zones = dict(RAILS_ZONES)
        declared = cfg.get("time_zones") or {}
        if not isinstance(declared, dict):
            raise ReaderError(
                "sources.yml zendesk.time_zones: expected a mapping of Zendesk zone -> IANA zone"
            )
        zones.update({str(k): str(v) for k, v in declared.items()})
        return zones

    # -- calendars and holidays --------------------------------------------------------------------

    def _calendars(self, st: Staging, u: dict, cfg: dict) -> Staged:
        # A schedule's intervals are minutes from Sunday 00:00 of the week, in its own zone
        # (dbt_zendesk's schedule model): weekday 1 = Monday ... 7 = Sunday.
        h = u["headers"]["schedule"]
        if not h:
            st.con.execute(
                "create temp table _cx_src as select 0 as _ord, 0 as _src_file, 0 as _src_ord, "
                "null as calendar_id, null as weekday, null as opens_at, null as closes_at where false"
            )
            return Staged(["calendar_id", "weekday", "opens_at", "closes_at"], lines={})
        present = u["present"]
        zones = values(sorted(self._zone_map(cfg).items()), ["zendesk_zone", "iana"])
        st.con.execute(f"""
            create temp table _cx_src as
            with s as (
                select _ord, trim(id) as calendar_id, try_cast(start_time as integer) as start_min,
                    try_cast(end_time as integer) as end_min, {col(h, "s", "time_zone")} as zone,
                    {col(h, "s", "name")} as schedule_label
                from _cx_z_schedule as s
                where coalesce(lower({col(h, "s", "_fivetran_deleted")}), 'false') <> 'true'
            )
            select row_number() over (order by _ord) as _ord, {present["schedule"]} as _src_file,
                _ord as _src_ord,
                calendar_id, cast((start_min // 1440 + 6) % 7 + 1 as varchar) as weekday,
                printf('%02d:%02d:00', (start_min % 1440) // 60, start_min % 60) as opens_at,
                -- an interval may end at midnight (24:00) of its day, never later
                printf('%02d:%02d:00', least(end_min - (start_min // 1440) * 1440, 1440) // 60,
                    least(end_min - (start_min // 1440) * 1440, 1440) % 60) as closes_at,
                zone as zendesk_time_zone, z.iana as zendesk_iana_zone, schedule_label as zendesk_schedule,
                case
                    when start_min is null or end_min is null or end_min <= start_min
                        then 'schedule interval is not start_time < end_time minutes of the week'
                    when zone is not null and z.iana is null
                        then 'time zone ' || zone || ' of schedule ' || calendar_id
                            || ' is not known: declare zendesk.time_zones'
                end as _reader_error
            from s left join {zones} as z on z.zendesk_zone = s.zone
        """)
        return Staged(
            [
                "calendar_id",
                "weekday",
                "opens_at",
                "closes_at",
                "zendesk_time_zone",
                "zendesk_iana_zone",
                "zendesk_schedule",
            ],
            checks=True,
        )

    def _holidays(self, st: Staging, u: dict) -> Staged:
        h = u["headers"]["schedule_holiday"]
        if not h:
            st.con.execute(
                "create temp table _cx_src as select 0 as _ord, 0 as _src_file, 0 as _src_ord, "
                "null as calendar_id, null as date where false"
            )
            return Staged(["calendar_id", "date"])
        st.con.execute(f"""
            create temp table _cx_src as
            with hd as (
                select _ord, trim(schedule_id) as calendar_id, {col(h, "hd", "name")} as holiday_label,
                    try_cast(left(start_date, 10) as date) as first_day,
                    try_cast(left(end_date, 10) as date) as last_day
                from _cx_z_schedule_holiday as hd
                where coalesce(lower({col(h, "hd", "_fivetran_deleted")}), 'false') <> 'true'
            ),
            days as (
                select *, unnest(generate_series(first_day, last_day, interval 1 day)) as day from hd
                where first_day <= last_day
            )
            select row_number() over (order by _ord, day) as _ord,
                {u["present"]["schedule_holiday"]} as _src_file,
                _ord as _src_ord, calendar_id, strftime(day, '%Y-%m-%d') as date,
                holiday_label as zendesk_holiday
            from days
        """)
        return Staged(["calendar_id", "date", "zendesk_holiday"])

    # -- tickets -------------------------------------------------------------------------------------

    def _first_reply_due(self, u: dict, cfg: dict) -> str:
        """SQL (a relation `due`: ticket_id, response_due) of the first-reply due time the ticket's SLA
        policy sets: the target for its priority when the policy was applied, from the policy version
        in force then, added in calendar minutes or in business minutes of the ticket's schedule."""
        h = u["headers"]
        if not h["ticket_sla_policy"] or not h["sla_policy_metric_history"] or not u["zone"]:
            return "(select null::varchar as ticket_id, null::timestamptz as response_due where false)"
        zones = values(sorted(self._zone_map(cfg).items()), ["zendesk_zone", "iana"])
        default_schedule = cfg.get("schedule_id")
        schedule_of = "null::varchar"
        if h["ticket_schedule"]:
            schedule_of = (
                "(select arg_max(trim(ts.schedule_id), try_cast(ts.created_at as timestamp)) "
                "from _cx_z_ticket_schedule ts "
                "where trim(ts.ticket_id) = a.ticket_id "
                "and try_cast(ts.created_at as timestamp) <= a.applied_local)"
            )
        only_schedule = (
            "(select case when count(distinct trim(id)) = 1 then any_value(trim(id)) end from _cx_z_schedule)"
            if h["schedule"]
            else "null::varchar"
        )
        sched_cols = (
            "select trim(id) as schedule_id, try_cast(start_time as integer) as start_min, "
            "try_cast(end_time as integer) as end_min, time_zone from _cx_z_schedule "
            f"where coalesce(lower({col(h['schedule'], '_cx_z_schedule', '_fivetran_deleted')}), 'false') "
            "<> 'true'"
            if h["schedule"]
            else "select null::varchar as schedule_id, null::integer as start_min, null::integer as end_min, "
            "null::varchar as time_zone where false"
        )
        holidays = (
            "select trim(schedule_id) as schedule_id, "
            "unnest(generate_series(try_cast(left(start_date, 10) as date), "
            "try_cast(left(end_date, 10) as date), interval 1 day)) as day from _cx_z_schedule_holiday"
            if h["schedule_holiday"]
            else "select null::varchar as schedule_id, null::date as day where false"
        )
        return f"""(
            with applied as (
                select trim(p.ticket_id) as ticket_id, trim(p.sla_policy_id) as policy_id,
                    p.policy_applied_at as applied_text,
                    try_cast(p.policy_applied_at as timestamp) as applied_local,
                    timezone({q(u["zone"])}, try_cast(p.policy_applied_at as timestamp)) as applied
                from _cx_z_ticket_sla_policy as p
                qualify row_number() over (partition by trim(p.ticket_id)
                    order by try_cast(p.policy_applied_at as timestamp) desc) = 1
            ),
            a as (
                select applied.*, coalesce({self._as_of("priority", "applied.applied", "applied.ticket_id")},
                    tk.priority) as priority
                from applied join _cx_z_tk as tk using (ticket_id)
            ),
            targets as (
                select a.ticket_id, a.applied,
                    arg_max(try_cast(m.target as double), try_cast(m.sla_policy_updated_at as timestamp))
                        as target_min,
                    arg_max(lower(m.business_hours) = 'true', try_cast(m.sla_policy_updated_at as timestamp))
                        as business,
                    coalesce({schedule_of}, {q(default_schedule)}, {only_schedule}) as schedule_id
                from a join _cx_z_sla_policy_metric_history as m
                    on trim(m.sla_policy_id) = a.policy_id and lower(m.metric) = 'first_reply_time'
                    and lower(m.priority) = lower(a.priority)
                    and try_cast(m.sla_policy_updated_at as timestamp) <= a.applied_local
                group by all
            ),
            -- business-hours targets: the schedule's open intervals, week after week, in its zone,
            -- holidays left out; the due time is where the open minutes reach the target
            sched as ({sched_cols}),
            hol as ({holidays}),
            zoned as (
                select s.schedule_id, sum(s.end_min - s.start_min) as week_min, any_value(z.iana) as iana
                from sched as s join {zones} as z on z.zendesk_zone = s.time_zone
                group by s.schedule_id
            ),
            weeks as (
                select t.ticket_id, t.applied, t.target_min, t.schedule_id, z.iana,
                    cast(timezone(z.iana, t.applied) as date) as first_day,
                    unnest(range(0, cast(ceil(t.target_min / z.week_min) as bigint) + 3)) as week_n
                from targets as t join zoned as z using (schedule_id)
                where t.business and z.week_min > 0
            ),
            spans as (
                select w.ticket_id, w.applied, w.target_min, w.schedule_id, w.iana, s.start_min, s.end_min,
                    w.first_day - cast(dayofweek(w.first_day) as integer) + cast(w.week_n * 7 as integer)
                        as sunday
                from weeks as w join sched as s using (schedule_id)
            ),
            open_spans as (
                select ticket_id, target_min,
                    greatest(timezone(iana, cast(sunday as timestamp) + to_minutes(start_min)), applied)
                        as span_start,
                    timezone(iana, cast(sunday as timestamp) + to_minutes(end_min)) as span_end
                from spans
                where not exists (
                    select 1 from hol where hol.schedule_id = spans.schedule_id
                        and hol.day = spans.sunday + cast(spans.start_min // 1440 as integer)
                )
            ),
            running as (
                select *, sum(epoch(span_end - span_start) / 60) over (
                    partition by ticket_id order by span_start rows unbounded preceding) as through_min
                from open_spans where span_end > span_start
            ),
            business_due as (
                select ticket_id,
                    min(span_end - to_microseconds(cast((through_min - target_min) * 60e6 as bigint)))
                        as response_due
                from running where through_min >= target_min group by ticket_id
            )
            select ticket_id, applied + to_microseconds(cast(target_min * 60e6 as bigint)) as response_due
            from targets where not business and target_min is not null
            union all
            select ticket_id, response_due from business_due
        )"""

    def _tickets(self, st: Staging, u: dict, cfg: dict, placement: Placement) -> Staged:
        h = u["headers"]
        channels = code_map(CHANNELS, cfg.get("channels"), "zendesk.channels", _TICKET_CHANNELS)
        live = sorted(k for k, v in channels.items() if v is None)
        p = placement.columns("tk.group_id", "pq")
        comments = (
            "(select null::varchar as ticket_id, null::varchar as created_at, null::boolean as by_agent, "
            "null::bigint as n where false)"
        )
        if h["ticket_comment"] and h["user"]:
            comments = f"""(
                select trim(c.ticket_id) as ticket_id, c.created as created_at,
                    lower(u.role) in ('agent', 'admin') as by_agent,
                    row_number() over (partition by trim(c.ticket_id)
                        order by try_cast(c.created as timestamp),
                        c._ord) as n
                from _cx_z_ticket_comment as c
                left join (select * from _cx_z_user qualify row_number() over (partition by trim(id)
                    order by {col(h["user"], "_cx_z_user", "_fivetran_synced")} desc nulls last) = 1) as u
                    on trim(u.id) = trim(c.{("user_id" if "user_id" in h["ticket_comment"] else "author_id")})
                where lower(coalesce(c.public, 'true')) = 'true'
            )"""
        ts = f"strftime(timezone('UTC', {{}}), {_TS_FMT}) || '+00:00'"
        # the Time Tracking app's total time spent, when kept in a custom field's history: its
        # latest value
        spent = str(cfg.get("time_spent_field") or "").lower()
        spent_history = self._as_of(spent, "timestamptz '9999-12-31 00:00:00+00'", "tk.ticket_id")
        st.con.execute(f"""
            create temp table _cx_src as
            with replies as (
                select c.ticket_id, min(try_cast(c.created_at as timestamp)) as first_reply
                from {comments} as c join _cx_z_tk as tk using (ticket_id)
                where c.by_agent and c.n > 1
                    and try_cast(c.created_at as timestamp) >= try_cast(tk.created_at as timestamp)
                group by c.ticket_id
            ),
            solves as (
                select ticket_id, max(changed_at) filter (where lower(value) = 'solved') as last_solved,
                    max(changed_at) filter (where lower(value) = 'closed') as closed,
                    max(updated_at) filter (where lower(value) = 'solved') as last_solved_text,
                    max(updated_at) filter (where lower(value) = 'closed') as closed_text
                from _cx_z_hist where field = 'status' and _copy = 1 group by ticket_id
            ),
            due as {self._first_reply_due(u, cfg)}
            select row_number() over (order by tk._ord) as _ord, 0 as _src_file, tk._ord as _src_ord,
                tk.ticket_id, {p["site_id"]} as site_id, {p["program_id"]} as program_id,
                {p["queue_id"]} as queue_id, {map_case("tk.via_channel", channels)} as channel, tk.priority,
                tk.requester_id as customer_key, tk.created_at as received_at,
                strftime(r.first_reply, '%Y-%m-%d %H:%M:%S') as first_response_at,
                case when d.response_due is not null then {ts.format("d.response_due")} end
                    as response_due_at,
                case when tk.status in ('solved', 'closed')
                    then coalesce(s.last_solved_text, s.closed_text, tk.updated_at) end as completed_at,
                tk.due_at, tk.status, tk.assignee_id,
                coalesce(tk.time_spent, {spent_history}) as handle_seconds,
                tk.via_channel as zendesk_via_channel, tk.ticket_type as zendesk_type,
                tk.brand_id as zendesk_brand_id, tk.group_id as zendesk_group_id,
                case when tk.status in ('solved', 'closed') and s.last_solved is null and s.closed is null
                    then 'updated_at' end as zendesk_completed_at_from,
                case
                    when tk.status not in {in_list(STATUSES)} or tk.status is null
                        then 'unknown Zendesk status ' || coalesce(tk.status, '(none)')
                    when tk.via_channel is not null and tk.via_channel not in {in_list(channels)}
                        then 'unknown via_channel ' || tk.via_channel || ': declare zendesk.channels'
                end as _reader_error
            from _cx_z_tk as tk
            left join replies as r using (ticket_id)
            left join solves as s using (ticket_id)
            left join due as d using (ticket_id)
            left join {placement.relation()} as pq on pq.vendor_queue = tk.group_id
            where tk.status is distinct from 'deleted'
                and (tk.via_channel is null or tk.via_channel not in {in_list(live)})
        """)
        st.con.execute(f"""
            create temp table _cx_excl as
            select 0 as _src_file, _ord as _src_ord,
                case when status = 'deleted' then 'ticket deleted in Zendesk'
                    else 'ticket created from a live ' || via_channel
                        || ' contact (counted by its ACD or chat source): declare zendesk.channels to read it'
                end as reason,
                cast(created as date) as _record_date
            from _cx_z_tk
            where status = 'deleted' or via_channel in {in_list(live)}
        """)
        return Staged(
            [
                "ticket_id",
                "site_id",
                "program_id",
                "queue_id",
                "channel",
                "priority",
                "customer_key",
                "received_at",
                "first_response_at",
                "response_due_at",
                "completed_at",
                "due_at",
                "status",
                "assignee_id",
                "handle_seconds",
                "zendesk_via_channel",
                "zendesk_type",
                "zendesk_brand_id",
                "zendesk_group_id",
                "zendesk_completed_at_from",
            ],  # fmt: skip
            checks=True,
            time_zone=u["zone"],
            lines={0: "csv"},
        )

    def _events(self, st: Staging, u: dict, placement: Placement) -> Staged:
        hist_file = u["present"].get("ticket_field_history", 0)
        p = placement.columns("e.group_id", "pq")
        st.con.execute(f"""
            create temp table _cx_src as
            with e as (
                select hh._ord, hh.ticket_id, hh.updated_at, hh.changed_at, lower(hh.value) as status_to,
                    lag(lower(hh.value)) over (partition by hh.ticket_id order by hh.changed_at, hh._ord)
                        as status_from,
                    coalesce({self._as_of("group_id", "hh.changed_at", "hh.ticket_id")}, tk.group_id)
                        as group_id,
                    coalesce({self._as_of("assignee_id", "hh.changed_at", "hh.ticket_id")}, tk.assignee_id)
                        as assignee_id
                from _cx_z_hist as hh join _cx_z_tk as tk using (ticket_id)
                where hh.field = 'status' and hh._copy = 1 and tk.status is distinct from 'deleted'
            )
            select row_number() over (order by e._ord) as _ord, {hist_file} as _src_file, e._ord as _src_ord,
                e.ticket_id, e.updated_at as event_at, e.status_from, e.status_to,
                {p["queue_id"]} as queue_id,
                e.assignee_id,
                case when e.status_to not in {in_list(STATUSES)} or e.status_to is null
                    then 'unknown Zendesk status ' || coalesce(e.status_to, '(none)') end as _reader_error
            from e left join {placement.relation()} as pq on pq.vendor_queue = e.group_id
        """)
        st.con.execute(f"""
            create temp table _cx_excl as
            select {hist_file} as _src_file, hh._ord as _src_ord,
                case when hh._copy > 1 then 'the same status change as an earlier line'
                    when tk.ticket_id is null then 'status change of ticket ' || hh.ticket_id
                        || ', which is not in the ticket table'
                    else 'status change of a ticket deleted in Zendesk' end as reason,
                cast(hh.changed_at as date) as _record_date
            from _cx_z_hist as hh left join _cx_z_tk as tk using (ticket_id)
            where hh.field = 'status' and (hh._copy > 1 or tk.ticket_id is null or tk.status = 'deleted')
        """)
        return Staged(
            ["ticket_id", "event_at", "status_from", "status_to", "queue_id", "assignee_id"],
            checks=True,
            time_zone=u["zone"],
            lines={hist_file: "csv"},
        )

    def stage(self, st: Staging, unit: Unit, entity: str) -> Staged:
        u = unit.state
        cfg, placement = self.declared(st)
        if entity == "calendars":
            return self._calendars(st, u, cfg)
        if entity == "holidays":
            return self._holidays(st, u)
        if entity == "tickets":
            return self._tickets(st, u, cfg, placement)
        return self._events(st, u, placement)
