"""ServiceNow incidents and tasks, as Fivetran lands them -> tickets and ticket_events.

Reads the Fivetran tables of `<landing>/servicenow/` together (`<table>.csv` or `<table>_data.csv`):
`incident` (incident's own columns), `task` (every task class: the common columns, joined to an
incident by `sys_id`) and `task_sla` (the SLAs attached to a task, with ServiceNow's own planned
breach time). Which task classes are contact-centre items, which SLA definitions are response and
which resolution targets, and the state codes of each class are declared or defaulted below; the
rest of the Fivetran tables are skipped. Without `sys_audit`, the status history is the task's own
milestones (opened, resolved, reopened, closed). Mapping decisions: DECISIONLOG "ServiceNow Reader".
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

TABLES = ("task", "incident", "task_sla")
# State codes per task class -> the canonical status words the ticket models read (`solved` and
# `closed` end an item); sources.yml servicenow.states.<class> adds or overrides.
STATES = {
    "incident": {"1": "new", "2": "open", "3": "hold", "6": "solved", "7": "closed", "8": "closed"},
    "change_request": {"-5": "new", "-4": "open", "-3": "open", "-2": "open", "-1": "open", "0": "open",
                       "3": "closed", "4": "closed"},
    "problem": {"101": "new", "102": "open", "103": "open", "104": "open", "106": "solved", "107": "closed"},
    "task": {"-5": "new", "1": "new", "2": "open", "3": "closed", "4": "closed", "7": "closed"},
}  # fmt: skip
# contact_type -> ticket channel; None: the task records a live contact the ACD or chat source
# counts. sources.yml servicenow.channels adds or overrides.
CHANNELS = {
    "email": "email", "self-service": "web", "web": "web", "portal": "web", "service_portal": "web",
    "social": "social", "phone": None, "chat": None, "virtual_agent": None, "walk-in": None,
}  # fmt: skip
_TICKET_CHANNELS = ("email", "web", "social", "letter", "backoffice")
_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")


class ServiceNowReader(Reader):
    name = "servicenow"
    folders = ("servicenow",)
    entities = ("tickets", "ticket_events")
    keys = (*COMMON_KEYS, "task_classes", "states", "channels", "slas", "channel")
    tables = TABLES
    required = ("task",)

    def units(self, claim, paths):
        units, skipped = super().units(claim, paths)
        # an incident export alone is a unit too: the incident table carries its own milestones
        if not units:
            alone = [p for p in paths if self.table_of(p) == "incident"]
            if alone:
                units = [Unit(claim, alone, together=True)]
                skipped = [(p, w) for p, w in skipped if p not in alone]
        return units, skipped

    def present(self, unit: Unit) -> dict[str, int]:
        return {self.table_of(p): i for i, p in enumerate(unit.paths)}

    def _declared(self, cfg: dict):
        classes = cfg.get("task_classes", ["incident"])
        if not isinstance(classes, list) or not classes:
            raise ReaderError(
                "sources.yml servicenow.task_classes: expected a list of task classes, e.g. [incident]"
            )
        states = {k: dict(v) for k, v in STATES.items()}
        for cls, codes in (cfg.get("states") or {}).items():
            if not isinstance(codes, dict):
                raise ReaderError(
                    f"sources.yml servicenow.states.{cls}: expected a mapping of state code -> status"
                )
            states.setdefault(str(cls), dict(states["task"])).update(
                code_map({}, codes, f"servicenow.states.{cls}", _STATUSES)
            )
        slas = cfg.get("slas") or {}
        if not isinstance(slas, dict) or any(str(v) not in ("response", "resolution") for v in slas.values()):
            raise ReaderError(
                "sources.yml servicenow.slas: expected SLA definition sys_id -> response | resolution"
            )
        rows = [(cls, code, status) for cls, m in states.items() for code, status in m.items()]
        return [str(c) for c in classes], rows, sorted((str(k), str(v)) for k, v in slas.items())

    def prepare(self, st: Staging, unit: Unit) -> None:
        present = self.present(unit)
        headers = {}
        for table in TABLES:
            if table in present:
                headers[table] = self.read_table(st, present[table], f"_cx_s_{table}_raw")
            else:
                headers[table] = []
        unit.state.update(headers=headers, present=present)
        h = headers
        t = lambda n: col(h["task"], "t", n)  # noqa: E731
        i = lambda n: col(h["incident"], "i", n)  # noqa: E731
        current = "qualify row_number() over (partition by trim({a}.sys_id) order by {s} desc nulls last) = 1"
        task = (
            f"select *, row_number() over () as _k from _cx_s_task_raw as t "
            f"where coalesce(lower({t('_fivetran_deleted')}), 'false') <> 'true' "
            + current.format(a="t", s=t("_fivetran_synced"))
            if h["task"]
            else "select null::varchar as sys_id, null::bigint as _ord where false"
        )
        incident = (
            "select * from _cx_s_incident_raw as i "
            f"where coalesce(lower({i('_fivetran_deleted')}), 'false') <> 'true' "
            + current.format(a="i", s=i("_fivetran_synced"))
            if h["incident"]
            else "select null::varchar as sys_id, null::bigint as _ord where false"
        )
        h.setdefault("task", [])
        # One row per task, its incident columns beside it; an incident without its task row keeps
        # what the incident table says (created, state, resolved).
        st.temp("_cx_s_item")
        st.con.execute(f"""
            create temp table _cx_s_item as
            select
                case when t.sys_id is not null then {present.get("task", 0)} else {present.get("incident", 0)}
                    end as _src_file,
                coalesce(t._ord, i._ord) as _src_ord,
                trim(coalesce(t.sys_id, i.sys_id)) as sys_id,
                lower(coalesce({t("sys_class_name")}, case when i.sys_id is not null then 'incident' end))
                    as class,
                {t("number")} as number,
                coalesce({t("opened_at")}, {i("opened_at")}, {i("sys_created_on")}, {t("sys_created_on")})
                    as opened_at,
                coalesce({i("resolved_at")}, {t("resolved_at")}) as resolved_at,
                coalesce({t("closed_at")}, {i("closed_at")}) as closed_at,
                {i("reopened_time")} as reopened_at,
                coalesce(case when i.sys_id is not null then {i("incident_state")} end, {t("state")})
                    as state,
                {t("priority")} as priority, {t("assignment_group_value")} as group_id,
                {t("assigned_to_value")} as assignee_id, lower({t("contact_type")}) as contact_type,
                {i("caller_id_value")} as caller, {t("parent_value")} as parent_id,
                {t("due_date")} as due_date, {i("category")} as category,
                -- Time Worked: a glide duration Fivetran lands as a date-time from the epoch
                coalesce(
                    epoch(try_cast({t("time_worked")} as timestamp)),
                    try_cast({t("time_worked")} as double)
                ) as time_worked
            from ({task}) as t
            full join ({incident}) as i on trim(i.sys_id) = trim(t.sys_id)
        """)
        cfg, _placement = self.declared(st)
        classes, state_rows, _slas = self._declared(cfg)
        channels = code_map(CHANNELS, cfg.get("channels"), "servicenow.channels", _TICKET_CHANNELS)
        states = values(state_rows, ["class", "code", "status"])
        st.con.execute(
            f"""
            create temp table _cx_s_rows as
            select x.*, st.status,
                {map_case("x.contact_type", channels)} as channel,
                x.class in (select unnest(?::varchar[])) as wanted
            from _cx_s_item as x
            left join {states} as st
                on st.class = case when x.class in (select class from {states}) then x.class else 'task' end
                and st.code = trim(x.state)
        """,
            [classes],
        )
        st.temp("_cx_s_rows")

    def _tickets(self, st: Staging, u: dict, cfg: dict, placement: Placement) -> Staged:
        _classes, _states, sla_rows = self._declared(cfg)
        channels = code_map(CHANNELS, cfg.get("channels"), "servicenow.channels", _TICKET_CHANNELS)
        live = sorted(k for k, v in channels.items() if v is None)
        zone = cfg.get("time_zone") or st.time_zone_for("tickets")
        h = u["headers"]
        slas = "(select null::varchar as task, null::varchar as kind, null::varchar as due where false)"
        if h["task_sla"]:
            s = lambda n: col(h["task_sla"], "s", n)  # noqa: E731
            # ServiceNow's own breach time of the task's SLA of each kind (the latest one that
            # was not cancelled): the export's due time.
            slas = f"""(
                select trim({s("task_value")}) as task, d.kind, arg_max({s("planned_end_time")},
                    try_cast({s("start_time")} as timestamp)) as due
                from _cx_s_task_sla_raw as s join {values(sla_rows, ["sla", "kind"])} as d
                    on d.sla = trim({s("sla_value")})
                where coalesce(lower({s("stage")}), '') <> 'cancelled'
                    and coalesce(lower({s("_fivetran_deleted")}), 'false') <> 'true'
                group by all
            )"""
        p = placement.columns("x.group_id", "pq")
        st.con.execute(f"""
            create temp table _cx_src as
            select row_number() over (order by x._src_file, x._src_ord) as _ord, x._src_file, x._src_ord,
                x.sys_id as ticket_id, x.parent_id as case_id, {p["site_id"]} as site_id,
                {p["program_id"]} as program_id, {p["queue_id"]} as queue_id,
                coalesce(x.channel, case when x.contact_type is null then {q(cfg.get("channel"))} end)
                    as channel,
                x.priority,
                x.caller as customer_key, x.opened_at as received_at,
                resp.due as response_due_at,
                case when x.status in ('solved', 'closed') then coalesce(x.resolved_at, x.closed_at) end
                    as completed_at,
                coalesce(res.due, x.due_date) as due_at, x.status, x.assignee_id,
                cast(x.time_worked as varchar) as handle_seconds,
                x.number as servicenow_number, x.class as servicenow_class, x.state as servicenow_state,
                x.category as servicenow_category, x.contact_type as servicenow_contact_type,
                case
                    when x.status is null then 'unknown state ' || coalesce(x.state, '(none)') || ' of '
                        || x.class || ': declare servicenow.states.' || x.class
                    when x.contact_type is not null and x.contact_type not in {in_list(channels)}
                        then 'unknown contact_type ' || x.contact_type || ': declare servicenow.channels'
                end as _reader_error
            from _cx_s_rows as x
            left join {slas} as resp on resp.task = x.sys_id and resp.kind = 'response'
            left join {slas} as res on res.task = x.sys_id and res.kind = 'resolution'
            left join {placement.relation()} as pq on pq.vendor_queue = x.group_id
            where x.wanted and (x.contact_type is null or x.contact_type not in {in_list(live)})
        """)
        st.con.execute(f"""
            create temp table _cx_excl as
            select _src_file, _src_ord,
                case when not wanted then 'task class ' || coalesce(class, '(none)')
                        || ' is not read: declare it in servicenow.task_classes'
                    else 'task recording a live ' || contact_type
                        || ' contact (counted by its ACD or chat source): '
                        || 'declare servicenow.channels to read it'
                end as reason,
                cast(try_cast(opened_at as timestamp) as date) as _record_date
            from _cx_s_rows where not wanted or contact_type in {in_list(live)}
        """)
        columns = [
            "ticket_id", "case_id", "site_id", "program_id", "queue_id", "channel", "priority",
            "customer_key", "received_at", "response_due_at", "completed_at", "due_at", "status",
            "assignee_id", "handle_seconds",
            "servicenow_number", "servicenow_class", "servicenow_state", "servicenow_category",
            "servicenow_contact_type",
        ]  # fmt: skip
        return Staged(columns, checks=True, time_zone=zone)

    def _events(self, st: Staging, u: dict, cfg: dict, placement: Placement) -> Staged:
        channels = code_map(CHANNELS, cfg.get("channels"), "servicenow.channels", _TICKET_CHANNELS)
        readable = sorted(k for k, v in channels.items() if v is not None)
        p = placement.columns("m.group_id", "pq")
        milestones = " union all ".join(
            f"select _src_file, _src_ord, sys_id, group_id, assignee_id, {column} as event_text, "
            f"'{status}' as status_to, {k} as k from kept where {column} is not null{extra}"
            for column, status, k, extra in (
                ("opened_at", "new", 1, ""),
                ("resolved_at", "solved", 2, ""),
                ("reopened_at", "open", 3,
                 " and try_cast(reopened_at as timestamp) > try_cast(resolved_at as timestamp)"),
                ("closed_at", "closed", 4, ""),
            )
        )  # fmt: skip
        # The milestones a task carries: opened (new), resolved (solved), reopened after its
        # resolution (open), closed; events only of the tasks that are ticket rows.
        st.con.execute(f"""
            create temp table _cx_src as
            with kept as (
                select * from _cx_s_rows
                where wanted and status is not null
                    and (contact_type is null or contact_type in {in_list(readable)})
            ),
            m as ({milestones})
            select row_number() over (order by _src_file, _src_ord, k) as _ord, _src_file, _src_ord,
                sys_id as ticket_id, event_text as event_at,
                lag(status_to) over (partition by sys_id order by try_cast(event_text as timestamp), k)
                    as status_from,
                status_to, {p["queue_id"]} as queue_id, assignee_id
            from m left join {placement.relation()} as pq on pq.vendor_queue = m.group_id
        """)
        zone = cfg.get("time_zone") or st.time_zone_for("ticket_events")
        return Staged(
            ["ticket_id", "event_at", "status_from", "status_to", "queue_id", "assignee_id"], time_zone=zone
        )

    def stage(self, st: Staging, unit: Unit, entity: str) -> Staged:
        cfg, placement = self.declared(st)
        if entity == "tickets":
            return self._tickets(st, unit.state, cfg, placement)
        return self._events(st, unit.state, cfg, placement)
