"""Intercom conversations, as Fivetran lands them -> chat_sessions and chat_messages.

Reads the Fivetran tables of `<landing>/intercom/` together (`<table>.csv` or `<table>_data.csv`):
`conversation_history` (drives: one row per version of a conversation, `_fivetran_active` marks the
current one), `conversation_part_history` (the replies, notes, assignments and state changes after
the opening message) and, optionally, `team_admin` (an admin's team, to place a conversation
assigned to an admin). Other tables are skipped. Author types follow Intercom's API (user, lead and
contact are the customer; admin a teammate; bot Intercom's bots, Operator and Fin) and the first
teammate reply is read as Fivetran's dbt_intercom reads it (a comment, or an assignment carrying a
body, by an admin). Mapping decisions: DECISIONLOG "Intercom Reader".
"""

from __future__ import annotations

from .base import (
    Placement,
    Reader,
    Staged,
    Staging,
    Unit,
    col,
    in_list,
)

TABLES = ("conversation_history", "conversation_part_history", "team_admin")
CUSTOMER = ("user", "lead", "contact")
AUTHORS = (*CUSTOMER, "admin", "bot", "team")
# Intercom part types: those that may carry a message, and the others (state changes, internal
# notes, assignments without a body...), read but not messages. Any other type is quarantined.
MESSAGE_PARTS = (
    "comment",
    "assignment",
    "open",
    "close",
    "quick_reply",
    "conversation_attribute_updated_by_admin",
)
OTHER_PARTS = (
    "note", "note_and_reopen", "snoozed", "unsnoozed", "timer_unsnooze", "away_mode_assignment",
    "default_assignment", "participant_added", "participant_removed", "conversation_rating_changed",
    "conversation_rating_remark_added", "language_detection_details", "conversation_sla_target_missed",
    "conversation_sla_applied_by_rule", "conversation_sla_removed", "custom_action_started",
    "custom_action_finished", "operator_workflow_event", "ticket_state_updated", "title_changed",
    "channel_and_reply_time_expectation", "assign_and_unsnooze", "attribute_collected",
)  # fmt: skip


class IntercomReader(Reader):
    name = "intercom"
    folders = ("intercom",)
    entities = ("chat_sessions", "chat_messages")
    tables = TABLES
    required = ("conversation_history",)

    def prepare(self, st: Staging, unit: Unit) -> None:
        present = self.present(unit)
        h = {t: self.read_table(st, present[t], f"_cx_i_{t}") if t in present else [] for t in TABLES}
        unit.state.update(present=present)
        c = lambda n: col(h["conversation_history"], "c", n)  # noqa: E731
        # The current version of each conversation (`_fivetran_active`, else the latest).
        st.temp("_cx_i_conv")
        st.con.execute(f"""
            create temp table _cx_i_conv as
            select c._ord, trim(c.id) as conv_id, {c("created_at")} as created_at,
                {c("updated_at")} as updated_at, lower({c("state")}) as state,
                lower({c("source_delivered_as")}) as delivered_as,
                lower({c("source_author_type")}) as source_author_type,
                {c("source_author_id")} as source_author,
                {c("first_contact_reply_created_at")} as first_contact_reply_at,
                lower({c("assignee_type")}) as assignee_type, {c("assignee_id")} as assignee_id,
                {c("priority")} as priority
            from _cx_i_conversation_history as c
            qualify row_number() over (
                partition by trim(c.id)
                order by coalesce(lower({c("_fivetran_active")}), 'false') = 'true' desc,
                    try_cast({c("_fivetran_start")} as timestamp) desc nulls last,
                    try_cast({c("updated_at")} as timestamp) desc nulls last, c._ord desc
            ) = 1
        """)
        # The current version of each part.
        if h["conversation_part_history"]:
            p = lambda n: col(h["conversation_part_history"], "p", n)  # noqa: E731
            parts = f"""
                select p._ord, trim(p.id) as part_id, trim(p.conversation_id) as conv_id,
                    {p("created_at")} as created_at, lower({p("part_type")}) as part_type,
                    lower({p("author_type")}) as author_type, {p("author_id")} as author_id,
                    {p("body")} is not null as has_body
                from _cx_i_conversation_part_history as p
                qualify row_number() over (
                    partition by trim(p.id)
                    order by coalesce(lower({p("_fivetran_active")}), 'true') = 'true' desc,
                        try_cast({p("_fivetran_start")} as timestamp) desc nulls last, p._ord desc
                ) = 1
            """
        else:
            parts = (
                "select null::bigint as _ord, null as part_id, null as conv_id, null as created_at, "
                "null as part_type, null as author_type, null as author_id, false as has_body where false"
            )
        st.temp("_cx_i_part")
        st.con.execute(f"""
            create temp table _cx_i_part as
            select *,
                case
                    when part_type is null or part_type not in {in_list(MESSAGE_PARTS + OTHER_PARTS)}
                        then 'unknown Intercom part_type ' || coalesce(part_type, '(none)')
                    when author_type is null or author_type not in {in_list(AUTHORS)}
                        then 'unknown Intercom author_type ' || coalesce(author_type, '(none)')
                end as _bad,
                case
                    when author_type in {in_list(CUSTOMER)} and part_type in {in_list(MESSAGE_PARTS)}
                        and (part_type = 'comment' or has_body) then 'customer'
                    when author_type = 'admin' and (part_type = 'comment'
                        or (part_type in {in_list(MESSAGE_PARTS)} and has_body)) then 'agent'
                    when author_type = 'bot' and part_type in {in_list(MESSAGE_PARTS)}
                        and (part_type = 'comment' or has_body) then 'bot'
                end as sender
            from ({parts})
        """)
        team = "(select null::varchar as admin_id, null::varchar as team_id where false)"
        if h["team_admin"]:
            team = (
                "(select trim(admin_id) as admin_id, min(trim(team_id)) as team_id from _cx_i_team_admin "
                f"where coalesce(lower({col(h['team_admin'], '_cx_i_team_admin', '_fivetran_deleted')}), "
                "'false') <> 'true' group by 1)"
            )
        unit.state["team"] = team

    def _sessions(self, st: Staging, unit: Unit, placement: Placement) -> None:
        # The conversation's queue: its team when assigned to one, else the assigned admin's team.
        queue = "case when c.assignee_type = 'team' then c.assignee_id else ta.team_id end"
        p = placement.columns(queue, "pq")
        st.con.execute(f"""
            create temp table _cx_src as
            with parts as (select * from _cx_i_part where _bad is null),
            c as (
                select c.*,
                    c.delivered_as is distinct from 'customer_initiated' as proactive,
                    -- a proactive message is accepted when the customer first writes back
                    case when c.delivered_as is distinct from 'customer_initiated' then coalesce(
                        (select min(try_cast(x.created_at as timestamp)) from parts as x
                         where x.conv_id = c.conv_id and x.sender = 'customer'),
                        try_cast(c.first_contact_reply_at as timestamp))
                        else try_cast(c.created_at as timestamp) end as requested
                from _cx_i_conv as c
            ),
            firsts as (
                select c.conv_id,
                    (select min(try_cast(x.created_at as timestamp)) from parts as x
                        where x.conv_id = c.conv_id and x.sender = 'agent'
                            and try_cast(x.created_at as timestamp) >= c.requested)
                        as first_human,
                    (select arg_max(x.author_id, try_cast(x.created_at as timestamp)) from parts as x
                        where x.conv_id = c.conv_id and x.part_type = 'close') as closed_by,
                    (select arg_max(x.author_type, try_cast(x.created_at as timestamp)) from parts as x
                        where x.conv_id = c.conv_id and x.part_type = 'close') as closed_by_type,
                    (select max(try_cast(x.created_at as timestamp)) from parts as x
                        where x.conv_id = c.conv_id and x.part_type = 'close') as closed_at
                from c
            ),
            replied as (
                select f.*, (select min(try_cast(x.created_at as timestamp)) from parts as x
                    where x.conv_id = f.conv_id and x.sender = 'customer'
                        and try_cast(x.created_at as timestamp) > f.first_human) as customer_replied
                from firsts as f
            )
            select row_number() over (order by c._ord) as _ord, 0 as _src_file, c._ord as _src_ord,
                c.conv_id as chat_id, {p["site_id"]} as site_id, {p["program_id"]} as program_id,
                {p["queue_id"]} as queue_id,
                case when c.proactive then 'proactive' else 'reactive' end as chat_type,
                case when c.proactive then c.created_at end as invited_at,
                strftime(c.requested, '%Y-%m-%d %H:%M:%S') as requested_at,
                strftime(r.first_human, '%Y-%m-%d %H:%M:%S') as first_human_response_at,
                strftime(r.customer_replied, '%Y-%m-%d %H:%M:%S') as customer_replied_at,
                case when r.closed_at is not null then strftime(r.closed_at, '%Y-%m-%d %H:%M:%S')
                    when c.state = 'closed' then c.updated_at end as ended_at,
                case when r.closed_by_type = 'admin' then 'agent_closed' end as end_reason,
                case when c.assignee_type = 'admin' then c.assignee_id end as agent_id,
                case when c.source_author_type in {in_list(CUSTOMER)} then c.source_author end
                    as customer_key,
                c.state as intercom_state, c.delivered_as as intercom_delivered_as,
                c.assignee_type as intercom_assignee_type, c.priority as intercom_priority,
                case when {p["queue_id"]} is null
                    then 'conversation in no team: declare intercom.queue_id (or the team under queues)'
                end as _reader_error
            from c
            join replied as r using (conv_id)
            left join {unit.state["team"]} as ta on ta.admin_id = c.assignee_id and c.assignee_type = 'admin'
            left join {placement.relation()} as pq on pq.vendor_queue = {queue}
        """)

    def _messages(self, st: Staging, unit: Unit) -> None:
        parts_file = unit.state["present"].get("conversation_part_history", 0)
        st.con.execute(f"""
            create temp table _cx_src as
            with messages as (
                -- the opening message is the conversation's source, not a part: the customer's own,
                -- or (proactive) the teammate's or campaign's invitation, which is not a response
                select 0 as _src_file, c._ord as _src_ord, 0 as _k, c.conv_id as chat_id,
                    case when c.source_author_type in {in_list(CUSTOMER)} then 'customer' else 'system' end
                        as sender,
                    c.created_at as sent_at, 'source' as intercom_part_type, null::varchar as _reader_error,
                    false as _not_row
                from _cx_i_conv as c
                union all
                select {parts_file}, p._ord, 1, p.conv_id, p.sender, p.created_at, p.part_type, p._bad,
                    p._bad is not null
                from _cx_i_part as p join _cx_i_conv as c using (conv_id)
                where p.sender is not null or p._bad is not null
            )
            select row_number() over (order by _k, _src_ord) as _ord, * exclude (_k) from messages
        """)
        st.con.execute(f"""
            create temp table _cx_excl as
            select {parts_file} as _src_file, p._ord as _src_ord,
                'part of conversation ' || coalesce(p.conv_id, '(none)')
                    || ', which is not in conversation_history' as reason,
                cast(try_cast(p.created_at as timestamp) as date) as _record_date
            from _cx_i_part as p where p.conv_id not in (select conv_id from _cx_i_conv) or p.conv_id is null
        """)

    def stage(self, st: Staging, unit: Unit, entity: str) -> Staged:
        cfg, placement = self.declared(st)
        zone = cfg.get("time_zone") or st.time_zone_for(entity)
        if entity == "chat_sessions":
            self._sessions(st, unit, placement)
            columns = [
                "chat_id", "site_id", "program_id", "queue_id", "chat_type", "invited_at", "requested_at",
                "first_human_response_at", "customer_replied_at", "ended_at", "end_reason", "agent_id",
                "customer_key", "intercom_state", "intercom_delivered_as", "intercom_assignee_type",
                "intercom_priority",
            ]  # fmt: skip
            return Staged(columns, checks=True, time_zone=zone)
        self._messages(st, unit)
        return Staged(
            ["chat_id", "sender", "sent_at", "intercom_part_type"], checks=True, not_rows=True, time_zone=zone
        )
