"""Genesys Cloud conversation details -> acd_contacts (voice and callback) and chat_sessions.

Reads every file of `<landing>/genesys_cloud/` together: responses of the analytics API
`POST /api/v2/analytics/conversations/details/query` (`{"conversations": [...]}` pages) or of its
asynchronous jobs, or one conversation a line. A conversation has participants (purpose customer,
ivr, acd, agent, user...), each with sessions (a media type), each with segments (`interact`,
`alert`, `hold`, `wrapup`, ...; a `queueId`, a `disconnectType`). The details API has no message
times, so no `chat_messages` come from it. Mapping decisions: DECISIONLOG "Genesys Cloud Reader".
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
    in_list,
    map_case,
)

# The segment and media types of the analytics API (the SDK's enums); others are quarantined.
SEGMENT_TYPES = (
    "alert", "callback", "coaching", "contacting", "converting", "delay", "dialing", "hold", "interact",
    "ivr", "monitoring", "scheduled", "sharing", "system", "transmitting", "unknown", "uploading",
    "voicemail", "wrapup",
)  # fmt: skip
READ_MEDIA = ("voice", "callback", "chat")
OTHER_MEDIA = ("email", "message", "cobrowse", "screenshare", "video", "unknown")
TRANSFERS = ("transfer", "consulttransfer", "conferencetransfer", "forwardtransfer", "noanswertransfer",
             "notavailabletransfer")  # fmt: skip

# disconnectType of an unanswered queue segment -> outcome (a next queue segment makes it an
# overflow whatever its type); sources.yml genesys_cloud.disconnect_types adds or overrides.
UNANSWERED = {
    "peer": "abandoned", "endpoint": "abandoned", "error": "abandoned", "transportfailure": "abandoned",
    "timeout": "timeout", "system": "timeout", "client": "timeout",
    **dict.fromkeys(TRANSFERS, "timeout"),
}  # fmt: skip
# disconnectType of the customer's last chat segment -> end_reason (system: no side said).
CHAT_END = {
    "endpoint": "customer_left", "client": "customer_left", "peer": "agent_closed", "timeout": "timeout",
    "system": None, "error": None, "transportfailure": None, **dict.fromkeys(TRANSFERS, "transferred"),
}  # fmt: skip
_OUTCOMES = ("abandoned", "timeout", "exit_key", "no_agents")
_CUSTOMER = "('customer', 'external')"


class GenesysCloudReader(Reader):
    name = "genesys_cloud"
    folders = ("genesys_cloud", "genesys")
    entities = ("acd_contacts", "chat_sessions")
    keys = (*COMMON_KEYS, "disconnect_types")

    def prepare(self, st: Staging, unit: Unit) -> None:
        files = []
        for i in range(len(unit.paths)):
            st.read_json(i, f"_cx_g_f{i}")
            # A page holds `conversations`; otherwise a record is one conversation. A page's
            # conversations are numbered in the file (their "line" in the quarantine).
            files.append(f"""
                select {i} as _src_file,
                    case when kind = 'page' then row_number() over (partition by kind order by _ord, pos)
                        else _ord end as _src_ord, conv
                from (
                    select 'page' as kind, _ord, unnest(l) as conv, generate_subscripts(l, 1) as pos
                    from (select _ord, json_extract(json, '$.conversations[*]') as l from _cx_g_f{i}
                        where json_exists(json, '$.conversations'))
                    union all
                    select 'record', _ord, json, 1 from _cx_g_f{i}
                    where json is null or not json_exists(json, '$.conversations')
                )
            """)
        st.temp("_cx_g_conv")
        st.con.execute(f"""
            create temp table _cx_g_conv as
            select *, json_extract_string(conv, '$.conversationId') as conv_id,
                json_extract_string(conv, '$.conversationStart') as conv_start,
                json_extract_string(conv, '$.conversationEnd') as conv_end
            from ({" union all ".join(files)})
        """)
        st.temp("_cx_g_seg")
        st.con.execute("""
            create temp table _cx_g_seg as
            with p as (
                select _src_file, _src_ord, conv_id, unnest(l) as p, generate_subscripts(l, 1) as ppos
                from (select *, json_extract(conv, '$.participants[*]') as l from _cx_g_conv
                    where conv_id is not null)
            ),
            s as (
                select _src_file, _src_ord, conv_id, ppos,
                    json_extract_string(p, '$.purpose') as purpose,
                    json_extract_string(p, '$.userId') as user_id,
                    unnest(l) as s, generate_subscripts(l, 1) as spos
                from (select *, json_extract(p, '$.sessions[*]') as l from p)
            ),
            g as (
                select * exclude (s, l),
                    lower(json_extract_string(s, '$.mediaType')) as media,
                    lower(json_extract_string(s, '$.direction')) as direction,
                    json_extract_string(s, '$.ani') as ani,
                    json_extract_string(s, '$.callbackNumbers[0]') as callback_number,
                    json_extract_string(s, '$.outboundCampaignId') as campaign,
                    unnest(l) as g, generate_subscripts(l, 1) as gpos
                from (select *, json_extract(s, '$.segments[*]') as l from s)
            )
            select * exclude (g),
                lower(json_extract_string(g, '$.segmentType')) as seg_type,
                json_extract_string(g, '$.segmentStart') as seg_start,
                json_extract_string(g, '$.segmentEnd') as seg_end,
                try_cast(json_extract_string(g, '$.segmentStart') as timestamptz) as t0,
                try_cast(json_extract_string(g, '$.segmentEnd') as timestamptz) as t1,
                json_extract_string(g, '$.queueId') as queue,
                lower(json_extract_string(g, '$.disconnectType')) as disconnect,
                json_extract_string(g, '$.wrapUpCode') as wrapup_code
            from g
        """)
        # Each conversation once: its kind (voice, callback, chat, another medium) or why it is
        # not readable (quarantined under acd_contacts).
        st.temp("_cx_g_kind")
        st.con.execute(f"""
            create temp table _cx_g_kind as
            with media as (
                select conv_id,
                    string_agg(distinct media, ', ' order by media)
                        filter (where media not in {in_list(READ_MEDIA + OTHER_MEDIA)}) as unknown_media,
                    string_agg(distinct seg_type, ', ' order by seg_type)
                        filter (where seg_type not in {in_list(SEGMENT_TYPES)}) as unknown_segments,
                    bool_or(media = 'chat') as chat, bool_or(media = 'callback') as callback,
                    bool_or(media = 'voice') as voice,
                    string_agg(distinct media, ', ' order by media) as all_media
                from _cx_g_seg group by conv_id
            )
            select c._src_file, c._src_ord, c.conv_id, c.conv_start, c.conv_end,
                case
                    when c.conv is null then 'not a valid JSON value'
                    when c.conv_id is null then 'a conversation without conversationId'
                    when m.unknown_media is not null then 'unknown mediaType ' || m.unknown_media
                    when m.unknown_segments is not null then 'unknown segmentType ' || m.unknown_segments
                end as _bad,
                case when m.chat then 'chat' when m.callback then 'callback' when m.voice then 'voice'
                    else coalesce(m.all_media, 'no sessions') end as kind
            from _cx_g_conv as c left join media as m using (conv_id)
        """)

    # -- acd_contacts ------------------------------------------------------------------------------

    def _contacts(self, st: Staging, cfg: dict, placement: Placement) -> None:
        unanswered = code_map(
            UNANSWERED, cfg.get("disconnect_types"), "genesys_cloud.disconnect_types", _OUTCOMES
        )
        p = placement.columns("s.queue", "pq")
        nxt = placement.columns("s.next_queue", "nq")
        st.con.execute(f"""
            create temp table _cx_src as
            with convs as (select * from _cx_g_kind where _bad is null and kind in ('voice', 'callback')),
            -- the customer's number: the customer participant's, else what the ACD session saw
            callers as (
                select conv_id, arg_min(coalesce(ani, callback_number), t0) as number
                from _cx_g_seg where purpose in {_CUSTOMER} and coalesce(ani, callback_number) is not null
                group by conv_id
            ),
            -- a queue segment: the ACD participant's interact segment with a queue
            queued as (
                select g.conv_id, g._src_file, g._src_ord, g.queue, g.t0, g.t1, g.seg_start, g.seg_end,
                    g.disconnect, g.media, g.direction, g.campaign,
                    coalesce(c.number, g.ani, g.callback_number) as customer,
                    row_number() over (partition by g.conv_id order by g.t0, g.ppos, g.gpos) as n
                from _cx_g_seg as g join convs using (conv_id) left join callers as c using (conv_id)
                where g.purpose = 'acd' and g.seg_type = 'interact' and g.queue is not null
            ),
            -- an agent's session of a conversation: when it was connected, talk, hold and wrap-up
            handled as (
                select conv_id, ppos, spos, any_value(user_id) as user_id,
                    arg_min(queue, t0) filter (where queue is not null) as queue,
                    min(t0) filter (where seg_type = 'interact') as connected,
                    arg_min(seg_start, t0) filter (where seg_type = 'interact') as connected_at,
                    max(t1) filter (where seg_type in ('interact', 'hold')) as left_at,
                    arg_max(seg_end, t1) filter (where seg_type in ('interact', 'hold')) as left_text,
                    arg_max(disconnect, t1) filter (where seg_type in ('interact', 'hold')) as left_by,
                    sum(epoch(t1 - t0)) filter (where seg_type = 'interact') as talk,
                    sum(epoch(t1 - t0)) filter (where seg_type = 'hold') as hold,
                    sum(epoch(t1 - t0)) filter (where seg_type = 'wrapup') as wrap,
                    arg_max(wrapup_code, t1) filter (where seg_type = 'wrapup') as wrapup_code
                from _cx_g_seg where purpose = 'agent'
                group by conv_id, ppos, spos
                having min(t0) filter (where seg_type = 'interact') is not null
            ),
            matched as (
                select q.*, h.user_id, h.connected_at, h.left_text, h.left_by, h.talk, h.hold, h.wrap,
                    h.wrapup_code, h.connected
                from queued as q
                left join handled as h on h.conv_id = q.conv_id and h.queue = q.queue
                    and h.connected >= q.t0 and h.connected <= q.t1 + interval 60 second
                qualify row_number() over (partition by q.conv_id, q.n order by h.connected nulls last) = 1
            ),
            s as (
                select *, lead(queue) over (partition by conv_id order by n) as next_queue from matched
            ),
            shaped as (
                select s._src_file, s._src_ord, s.conv_id as contact_id, cast(s.n as varchar) as segment_id,
                    {p["site_id"]} as site_id, {p["program_id"]} as program_id, {p["queue_id"]} as queue_id,
                    'voice' as channel,
                    case when s.media = 'callback' then 'outbound' else coalesce(s.direction, 'inbound') end
                        as direction,
                    nullif(regexp_replace(s.customer, '^(tel|sip):', ''), '') as customer_key,
                    s.seg_start as offered_at, s.connected_at as answered_at,
                    coalesce(s.left_text, s.seg_end) as ended_at,
                    case
                        when s.connected_at is not null and s.next_queue is not null
                            and s.left_by in {in_list(TRANSFERS)} then 'transfer'
                        when s.connected_at is not null then 'answered'
                        when s.next_queue is not null then 'overflow'
                        else {map_case("s.disconnect", unanswered)}
                    end as outcome,
                    cast(round(epoch(coalesce(s.connected, s.t1) - s.t0), 3) as varchar) as wait_seconds,
                    cast(round(s.talk, 3) as varchar) as talk_seconds,
                    cast(round(coalesce(s.hold, 0), 3) as varchar) as hold_seconds,
                    cast(round(coalesce(s.wrap, 0), 3) as varchar) as acw_seconds,
                    s.user_id as agent_id, s.next_queue, {nxt["queue_id"]} as next_queue_id,
                    s.disconnect as genesys_disconnect_type, s.media as genesys_media_type,
                    s.wrapup_code as genesys_wrapup_code, s.campaign as genesys_outbound_campaign
                from s
                left join {placement.relation()} as pq on pq.vendor_queue = s.queue
                left join {placement.relation()} as nq on nq.vendor_queue = s.next_queue
            ),
            rows as (
                select * exclude (next_queue, next_queue_id, talk_seconds, hold_seconds, acw_seconds),
                    case when answered_at is not null then talk_seconds end as talk_seconds,
                    case when answered_at is not null then hold_seconds end as hold_seconds,
                    case when answered_at is not null then acw_seconds end as acw_seconds,
                    case when outcome = 'abandoned' then 'true' when outcome is not null then 'false' end
                        as abandoned,
                    case when outcome in ('transfer', 'overflow') then next_queue_id end
                        as transferred_to_queue,
                    case when outcome is null then 'unknown disconnectType '
                        || coalesce(genesys_disconnect_type, '(none)')
                        || ' of an unanswered queue segment: declare genesys_cloud.disconnect_types' end
                        as _reader_error,
                    outcome is null as _not_row
                from shaped
            ),
            bad as (
                select _src_file, _src_ord, coalesce(conv_id, '-') as contact_id, '-' as segment_id,
                    '-' as queue_id, conv_start as offered_at, _bad as _reader_error, true as _not_row
                from _cx_g_kind where _bad is not null
            )
            select row_number() over (order by _src_file, _src_ord, segment_id) as _ord, *
            from (select * from rows union all by name select * from bad)
        """)
        # Conversations that are no queue segment: kept in raw._excluded with the reason.
        st.con.execute("""
            create temp table _cx_excl as
            select k._src_file, k._src_ord,
                case when k.kind in ('voice', 'callback')
                    then k.kind || ' conversation never queued (no ACD participant with a queue)'
                    else 'media type ' || k.kind || ': not read (voice, callback and chat are)'
                end as reason,
                cast(try_cast(k.conv_start as timestamptz) as date) as _record_date
            from _cx_g_kind as k
            where k._bad is null and k.kind <> 'chat' and (k.kind not in ('voice', 'callback') or not exists (
                    select 1 from _cx_g_seg as g where g.conv_id = k.conv_id and g.purpose = 'acd'
                        and g.seg_type = 'interact' and g.queue is not null
                ))
        """)

    # -- chat_sessions ------------------------------------------------------------------------------

    def _chats(self, st: Staging, placement: Placement) -> None:
        p = placement.columns("c.queue", "pq")
        end_reason = map_case("c.customer_left_by", CHAT_END)
        st.con.execute(f"""
            create temp table _cx_src as
            with c as (
                select k._src_file, k._src_ord, k.conv_id, k.conv_start, k.conv_end,
                    arg_min(g.queue, g.t0)
                        filter (where g.queue is not null and g.purpose in ('acd', 'agent')) as queue,
                    arg_min(g.seg_start, g.t0) filter (where g.purpose = 'acd' and g.seg_type = 'interact')
                        as queued_at,
                    arg_min(g.seg_start, g.t0) filter (where g.purpose in {_CUSTOMER}) as customer_start,
                    arg_max(g.seg_end, g.t1) filter (where g.purpose in {_CUSTOMER}) as customer_end,
                    arg_max(g.disconnect, g.t1) filter (where g.purpose in {_CUSTOMER}) as customer_left_by,
                    arg_min(g.seg_start, g.t0) filter (where g.purpose = 'agent' and g.seg_type = 'interact')
                        as agent_at,
                    arg_min(g.user_id, g.t0) filter (where g.purpose = 'agent' and g.seg_type = 'interact')
                        as agent,
                    any_value(g.direction) filter (where g.purpose in {_CUSTOMER}) as direction
                from _cx_g_kind as k join _cx_g_seg as g using (conv_id)
                where k._bad is null and k.kind = 'chat' and g.media = 'chat'
                group by all
            ),
            wraps as (
                select conv_id, user_id, sum(epoch(t1 - t0)) as wrap
                from _cx_g_seg where purpose = 'agent' and seg_type = 'wrapup' and media = 'chat'
                group by all
            )
            select row_number() over (order by c._src_file, c._src_ord) as _ord, c._src_file, c._src_ord,
                c.conv_id as chat_id, {p["site_id"]} as site_id, {p["program_id"]} as program_id,
                {p["queue_id"]} as queue_id,
                case when c.direction = 'outbound' then 'proactive' else 'reactive' end as chat_type,
                coalesce(c.queued_at, c.customer_start, c.conv_start) as requested_at,
                c.agent_at as first_human_response_at,
                case when c.agent_at is not null then 'true' else 'false' end as established,
                coalesce(c.customer_end, c.conv_end) as ended_at,
                {end_reason} as end_reason, c.agent as agent_id,
                case when c.agent is not null then cast(round(coalesce(w.wrap, 0), 3) as varchar) end
                    as wrap_seconds,
                c.customer_left_by as genesys_disconnect_type,
                case
                    when c.customer_left_by is not null and c.customer_left_by not in {in_list(CHAT_END)}
                        then 'unknown disconnectType ' || c.customer_left_by || ' of the customer'
                    when {p["queue_id"]} is null
                        then 'chat without a queue: declare genesys_cloud.queue_id'
                end as _reader_error
            from c
            left join wraps as w on w.conv_id = c.conv_id and w.user_id = c.agent
            left join {placement.relation()} as pq on pq.vendor_queue = c.queue
        """)

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
                "transferred_to_queue", "genesys_disconnect_type", "genesys_media_type",
                "genesys_wrapup_code", "genesys_outbound_campaign",
            ]  # fmt: skip
            return Staged(columns, checks=True, not_rows=True, time_zone=zone, lines=lines)
        if entity != "chat_sessions":  # pragma: no cover - entities lists only these two
            raise ReaderError(f"the Genesys Cloud reader gives no {entity}")
        self._chats(st, placement)
        columns = [
            "chat_id", "site_id", "program_id", "queue_id", "chat_type", "requested_at",
            "first_human_response_at", "established", "ended_at", "end_reason", "agent_id", "wrap_seconds",
            "genesys_disconnect_type",
        ]  # fmt: skip
        return Staged(columns, checks=True, time_zone=zone, lines=lines)
