"""Amazon Connect contact records (CTR) -> acd_contacts (voice) and chat_sessions (chat).

Reads every file of `<landing>/amazon_connect/` together: contact records as the contact-record
data stream delivers them (Kinesis Data Streams or Firehose to S3: one JSON record a line, or records
concatenated), any name, `.gz` allowed. Field meanings are the CTR data model's
(`../shared/realdata/amazon_connect_docs/ctr-data-model.md`): a transfer or a callback makes a new
record linked by `PreviousContactId`/`NextContactId`, and Connect delivers a record at least once
(a later copy, with a later `LastUpdateTimestamp`, replaces it). Mapping decisions: DECISIONLOG
"Amazon Connect Reader".
"""

from __future__ import annotations

from .base import (
    COMMON_KEYS,
    Placement,
    Reader,
    Staged,
    Staging,
    Unit,
    code_map,
    map_case,
)

# DisconnectReason of a queued record nobody answered, and that did not go on to a callback or
# another queue -> outcome; sources.yml amazon_connect.disconnect_reasons adds or overrides. A
# record without a reason was ended by a flow or the API (the data model says so).
UNANSWERED = {
    "customer_disconnect": "abandoned",
    "telecom_problem": "abandoned",
    "contact_flow_disconnect": "timeout",
    "other": "timeout",
    "api": "timeout",
    "expired": "timeout",
    "": "timeout",
}
CHAT_END = {
    "customer_disconnect": "customer_left",
    "agent_disconnect": "agent_closed",
    "expired": "timeout",
    "contact_flow_disconnect": None,
    "other": None,
    "api": None,
    "": None,
}
_OUTCOMES = ("abandoned", "timeout", "exit_key", "no_agents")
_OUTBOUND = "('CALLBACK', 'OUTBOUND')"


class AmazonConnectReader(Reader):
    name = "amazon_connect"
    folders = ("amazon_connect", "amazon_connect_ctr")
    entities = ("acd_contacts", "chat_sessions")
    keys = (*COMMON_KEYS, "disconnect_reasons")

    def prepare(self, st: Staging, unit: Unit) -> None:
        parts = []
        for i in range(len(unit.paths)):
            st.read_json(i, f"_cx_c_f{i}")
            parts.append(f"select {i} as _src_file, _ord as _src_ord, json from _cx_c_f{i}")

        def s(path: str) -> str:
            return f"nullif(trim(json_extract_string(json, '$.{path}')), '')"

        st.temp("_cx_c_rec")
        # One row per record delivered, with its fields; `_copy` > 1 for an earlier delivery of a
        # contact record delivered again later.
        st.con.execute(f"""
            create temp table _cx_c_rec as
            with raw as ({" union all ".join(parts)}),
            fields as (
                select _src_file, _src_ord, json is not null as _valid,
                    {s("ContactId")} as contact_id, {s("InitialContactId")} as initial_id,
                    {s("PreviousContactId")} as previous_id, {s("NextContactId")} as next_id,
                    upper({s("Channel")}) as channel, upper({s("InitiationMethod")}) as method,
                    {s("InitiationTimestamp")} as initiated_at, {s("DisconnectTimestamp")} as disconnected_at,
                    upper({s("DisconnectReason")}) as disc_reason, {s("LastUpdateTimestamp")} as updated_at,
                    {s("Queue.Name")} as queue, {s("Queue.ARN")} as queue_arn,
                    {s("Queue.EnqueueTimestamp")} as enqueued_at,
                    {s("Queue.DequeueTimestamp")} as dequeued_at,
                    {s("Queue.Duration")} as queue_duration,
                    coalesce({s("Agent.Username")}, {s("Agent.ARN")}) as agent,
                    {s("Agent.ConnectedToAgentTimestamp")} as connected_at,
                    {s("Agent.AgentInteractionDuration")} as talk,
                    {s("Agent.CustomerHoldDuration")} as hold,
                    {s("Agent.AfterContactWorkDuration")} as acw,
                    {s("CustomerEndpoint.Address")} as customer,
                    {s("TransferredToEndpoint.Address")} as transferred_to
                from raw
            )
            select *,
                row_number() over (
                    partition by contact_id order by try_cast(updated_at as timestamptz) desc nulls last,
                    _src_file desc, _src_ord desc
                ) as _copy
            from fields
        """)
        # The current copy of each record, with the record that follows it.
        st.temp("_cx_c_cur")
        st.con.execute("""
            create temp table _cx_c_cur as
            select r.*, n.method as next_method, n.queue as next_queue, n.enqueued_at as next_enqueued_at
            from (select * from _cx_c_rec where _valid and contact_id is not null and _copy = 1) as r
            left join (select * from _cx_c_rec where _valid and contact_id is not null and _copy = 1) as n
                on n.contact_id = r.next_id
        """)

    def _exclusions(self, st: Staging, channel: str) -> None:
        """Records that are not rows, each once, with why: earlier deliveries, records of another
        channel (under acd_contacts) and contacts never queued."""
        st.con.execute(f"""
            create temp table _cx_excl as
            select _src_file, _src_ord, reason,
                cast(try_cast(coalesce(enqueued_at, initiated_at) as timestamptz) as date) as _record_date
            from (
                select *,
                    case
                        when _copy > 1 then 'an earlier delivery of contact record ' || contact_id
                            || ' (the copy with the latest LastUpdateTimestamp is read)'
                        when channel is null or channel not in ('VOICE', 'CHAT')
                            then coalesce(channel, 'no') || ' channel: not read (VOICE and CHAT are)'
                        when enqueued_at is null then lower(channel)
                            || ' contact never queued (InitiationMethod ' || coalesce(method, 'none') || ')'
                    end as reason,
                    case when channel = 'CHAT' then 'CHAT' else 'VOICE' end as belongs
                from _cx_c_rec where _valid and contact_id is not null
            )
            where reason is not null and belongs = '{channel}'
        """)

    def _contacts(self, st: Staging, cfg: dict, placement: Placement) -> None:
        declared = cfg.get("disconnect_reasons")
        unanswered = code_map(UNANSWERED, declared, "amazon_connect.disconnect_reasons", _OUTCOMES)
        p = placement.columns("r.queue", "pq")
        nxt = placement.columns("r.next_queue", "nq")
        seconds = "cast(epoch(try_cast({} as timestamptz) - try_cast({} as timestamptz)) as varchar)"
        dequeued = "coalesce(r.dequeued_at, r.connected_at, r.disconnected_at)"
        st.con.execute(f"""
            create temp table _cx_src as
            with rows as (
                select r._src_file, r._src_ord,
                    coalesce(r.initial_id, r.contact_id) as contact_id, r.contact_id as segment_id,
                    {p["site_id"]} as site_id, {p["program_id"]} as program_id, {p["queue_id"]} as queue_id,
                    'voice' as channel,
                    case when r.method in {_OUTBOUND} then 'outbound' else 'inbound' end as direction,
                    r.customer as customer_key, r.enqueued_at as offered_at, r.connected_at as answered_at,
                    r.disconnected_at as ended_at,
                    case
                        when r.connected_at is not null and r.next_method = 'TRANSFER'
                            and r.next_enqueued_at is not null then 'transfer'
                        when r.connected_at is not null then 'answered'
                        when r.next_method = 'CALLBACK' then 'callback'
                        when r.next_method in ('QUEUE_TRANSFER', 'TRANSFER')
                            and r.next_enqueued_at is not null then 'overflow'
                        else {map_case("coalesce(r.disc_reason, '')", unanswered)}
                    end as outcome,
                    -- the queue time is Dequeue - Enqueue: a callback's Queue.Duration also counts
                    -- its initial delay (queued-callback-example.md: 120 s = 99 s + 21 s)
                    {seconds.format(dequeued, "r.enqueued_at")} as wait_seconds,
                    case when r.connected_at is not null then r.talk end as talk_seconds,
                    case when r.connected_at is not null then r.hold end as hold_seconds,
                    case when r.connected_at is not null then r.acw end as acw_seconds,
                    case when r.connected_at is not null then r.agent end as agent_id,
                    {nxt["queue_id"]} as next_queue_id,
                    r.method as connect_initiation_method, r.disc_reason as connect_disconnect_reason,
                    r.queue_arn as connect_queue_arn, r.queue_duration as connect_queue_duration,
                    r.previous_id as connect_previous_contact_id, r.next_id as connect_next_contact_id,
                    r.transferred_to as connect_transferred_to_endpoint
                from _cx_c_cur as r
                left join {placement.relation()} as pq on pq.vendor_queue = r.queue
                left join {placement.relation()} as nq on nq.vendor_queue = r.next_queue
                where r.channel = 'VOICE' and r.enqueued_at is not null
            ),
            shaped as (
                select * exclude (next_queue_id),
                    case when outcome = 'abandoned' then 'true' when outcome is not null then 'false' end
                        as abandoned,
                    case when outcome in ('transfer', 'overflow') then next_queue_id end
                        as transferred_to_queue,
                    case when outcome is null then 'unknown DisconnectReason '
                        || coalesce(connect_disconnect_reason, '(none)')
                        || ' of a queued contact nobody answered: declare amazon_connect.disconnect_reasons'
                    end as _reader_error,
                    outcome is null as _not_row
                from rows
            ),
            bad as (
                select _src_file, _src_ord, coalesce(contact_id, '-') as contact_id, '-' as segment_id,
                    '-' as queue_id, null as offered_at,
                    case when not _valid then 'not a valid JSON value'
                        else 'a contact record without ContactId' end as _reader_error,
                    true as _not_row
                from _cx_c_rec where not _valid or contact_id is null
            )
            select row_number() over (order by _src_file, _src_ord) as _ord, *
            from (select * from shaped union all by name select * from bad)
        """)
        self._exclusions(st, "VOICE")

    def _chats(self, st: Staging, placement: Placement) -> None:
        p = placement.columns("r.queue", "pq")
        st.con.execute(f"""
            create temp table _cx_src as
            select row_number() over (order by r._src_file, r._src_ord) as _ord, r._src_file, r._src_ord,
                r.contact_id as chat_id, {p["site_id"]} as site_id, {p["program_id"]} as program_id,
                {p["queue_id"]} as queue_id, 'reactive' as chat_type,
                coalesce(r.enqueued_at, r.initiated_at) as requested_at,
                r.connected_at as first_human_response_at,
                case when r.connected_at is not null then 'true' else 'false' end as established,
                r.disconnected_at as ended_at,
                case when r.next_method = 'TRANSFER' then 'transferred'
                    else {map_case("coalesce(r.disc_reason, '')", CHAT_END)} end as end_reason,
                case when r.connected_at is not null then r.agent end as agent_id,
                case when r.connected_at is not null then r.acw end as wrap_seconds,
                r.customer as customer_key,
                r.method as connect_initiation_method, r.disc_reason as connect_disconnect_reason,
                r.previous_id as connect_previous_contact_id, r.next_id as connect_next_contact_id,
                case when coalesce(r.disc_reason, '') not in ({", ".join(f"'{k.upper()}'" for k in CHAT_END)})
                    then 'unknown DisconnectReason ' || r.disc_reason || ' of a chat' end as _reader_error
            from _cx_c_cur as r
            left join {placement.relation()} as pq on pq.vendor_queue = r.queue
            where r.channel = 'CHAT' and r.enqueued_at is not null
        """)
        self._exclusions(st, "CHAT")

    def stage(self, st: Staging, unit: Unit, entity: str) -> Staged:
        cfg, placement = self.declared(st)
        lines = dict.fromkeys(range(len(unit.paths)), "record")
        zone = cfg.get("time_zone") or st.time_zone_for(entity)
        if entity == "acd_contacts":
            self._contacts(st, cfg, placement)
            columns = [
                "contact_id", "segment_id", "site_id", "program_id", "queue_id", "channel", "direction",
                "customer_key", "offered_at", "answered_at", "ended_at", "abandoned", "outcome",
                "wait_seconds", "talk_seconds", "hold_seconds", "acw_seconds", "agent_id",
                "transferred_to_queue", "connect_initiation_method", "connect_disconnect_reason",
                "connect_queue_arn", "connect_queue_duration", "connect_previous_contact_id",
                "connect_next_contact_id", "connect_transferred_to_endpoint",
            ]  # fmt: skip
            return Staged(columns, checks=True, not_rows=True, time_zone=zone, lines=lines)
        self._chats(st, placement)
        columns = [
            "chat_id", "site_id", "program_id", "queue_id", "chat_type", "requested_at",
            "first_human_response_at", "established", "ended_at", "end_reason", "agent_id", "wrap_seconds",
            "customer_key", "connect_initiation_method", "connect_disconnect_reason",
            "connect_previous_contact_id", "connect_next_contact_id",
        ]  # fmt: skip
        return Staged(columns, checks=True, time_zone=zone, lines=lines)
