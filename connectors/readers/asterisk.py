"""Asterisk `queue_log` -> acd_contacts (one row per queue segment) and agent_states.

Reads every file of `<landing>/asterisk/` (or `asterisk_queue_log/`) together, since a call's events
may straddle a log rotation: the pipe-delimited log as Asterisk writes it
(`epoch|callid|queue|agent|event|data1|data2|...`, any name, `.gz` allowed) and CSV exports of the
`queue_log` SQL table (`.csv`: `time,callid,queuename,agent,event,data1..data5`, or one `data`
column holding the pipe-joined fields).

Event fields are those of Asterisk's queue_log documentation (app_queue.c): ENTERQUEUE(url|callerid),
CONNECT(holdtime|bridged uniqueid|ringtime), COMPLETECALLER/COMPLETEAGENT(holdtime|calltime|
origposition), TRANSFER and BLINDTRANSFER(extension|context|holdtime|calltime|origposition),
ATTENDEDTRANSFER(method|target...|holdtime|calltime|origposition), ABANDON, EXITWITHTIMEOUT and
EXITEMPTY(position|origposition|waittime), EXITWITHKEY(key|position|origposition|waittime),
RINGNOANSWER(ringtime ms), PAUSE/UNPAUSE(reason), ADDMEMBER/REMOVEMEMBER, AGENTLOGIN(channel),
AGENTLOGOFF(channel|logintime). Mapping decisions: DECISIONLOG "Asterisk Reader: ...".
"""

from __future__ import annotations

from .base import (
    Placement,
    Reader,
    ReaderError,
    Staged,
    Staging,
    Unit,
    in_list,
    no_exclusions,
    q,
)

# Events that make a call's queue segment, that end one, that change an agent's state, and that
# carry nothing cxmart reads. Any other event is quarantined with its file, line and name.
CALL_START = ("ENTERQUEUE",)
CALL_INFO = ("CONNECT", "RINGNOANSWER", "RINGCANCELED", "AGENTDUMP", "SYSCOMPAT")
CALL_END = (
    "COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER",
    "ABANDON", "EXITWITHTIMEOUT", "EXITWITHKEY", "EXITEMPTY",
)  # fmt: skip
AGENT = (
    "ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL",
    "AGENTLOGIN", "AGENTLOGOFF", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF",
)  # fmt: skip
IGNORED = ("QUEUESTART", "CONFIGRELOAD", "DID", "INFO", "PENALTY")

_NO_CALL = "('', 'NONE', 'REALTIME')"


class AsteriskReader(Reader):
    name = "asterisk"
    folders = ("asterisk", "asterisk_queue_log")
    entities = ("acd_contacts", "agent_states")

    @staticmethod
    def _csv(path: str) -> bool:
        return path.lower().endswith((".csv", ".csv.gz"))

    def _zone(self, st: Staging, cfg: dict) -> str | None:
        return cfg.get("time_zone") or st.time_zone_for("acd_contacts")

    def prepare(self, st: Staging, unit: Unit) -> None:
        cfg, _ = self.declared(st)
        parts = []
        for i, path in enumerate(unit.paths):
            table = f"_cx_a_f{i}"
            if self._csv(path):
                header = [h.strip().lower() for h in st.csv_header(i)]
                lacking = [c for c in ("time", "callid", "queuename", "agent", "event") if c not in header]
                if lacking:
                    raise ReaderError(
                        f"{path.rsplit('/', 1)[-1]}: not a queue_log table export: header lacks "
                        f"{', '.join(lacking)} (expected time, callid, queuename, agent, event, data1..data5)"
                    )
                st.read_csv(i, table, header)
                datas = [h for h in header if h.startswith("data") and h[4:].isdigit()]
                datas.sort(key=lambda h: int(h[4:]))
                if datas:
                    fields = "[" + ", ".join(f"coalesce(trim({h}), '')" for h in datas) + "]"
                elif "data" in header:
                    fields = "string_split(coalesce(data, ''), '|')"
                else:
                    fields = "[]::varchar[]"
                parts.append(
                    f"select {i} as _src_file, _ord as _src_ord, trim(time) as _time, "
                    "trim(callid) as callid, trim(queuename) as queue, trim(agent) as agent, "
                    "upper(trim(event)) as event, "
                    f"{fields} as d, true as _ok from {table}"
                )
            else:
                st.read_lines(i, table)
                parts.append(
                    f"select {i} as _src_file, _ord as _src_ord, trim(p[1]) as _time, trim(p[2]) as callid, "
                    "trim(p[3]) as queue, trim(p[4]) as agent, upper(trim(p[5])) as event, "
                    "list_transform(p[6:], lambda x: trim(x)) as d, len(p) >= 5 as _ok "
                    f"from (select _ord, string_split(line, '|') as p from {table} "
                    "where trim(coalesce(line, '')) <> '')"
                )
        zone = self._zone(st, cfg)
        # The instant of each event, to order them: an epoch (the log) is UTC; a SQL export's
        # local time is read in the declared zone (the loader quarantines it when none is).
        local = f"timezone({q(zone)}, try_cast(_time as timestamp))" if zone else "null::timestamptz"
        st.temp("_cx_a_ev")
        st.con.execute(f"""
            create temp table _cx_a_ev as
            with raw as ({" union all ".join(parts)}),
            timed as (
                select *,
                    regexp_full_match(_time, '\\d+(\\.\\d+)?') as _epoch,
                    case
                        when regexp_full_match(_time, '\\d+(\\.\\d+)?')
                            then to_timestamp(cast(_time as double))
                        when regexp_matches(_time, '(Z|[+-]\\d\\d(:?\\d\\d)?)$')
                            then try_cast(_time as timestamptz)
                        else {local}
                    end as _inst,
                    case
                        when event in {in_list(CALL_START)} then 'start'
                        when event in {in_list(CALL_INFO)} then 'info'
                        when event in {in_list(CALL_END)} then 'end'
                        when event in {in_list(AGENT)} then 'agent'
                        when event in {in_list(IGNORED)} then 'ignored'
                    end as kind
                from raw
            )
            select *,
                -- the time as the loader types it: an epoch as UTC with its offset, else as exported
                case when _epoch then strftime(timezone('UTC', _inst), '%Y-%m-%dT%H:%M:%S.%f') || '+00:00'
                    else _time end as _at,
                -- the data fields without trailing empties (ATTENDEDTRANSFER's holdtime and
                -- calltime are its last fields but one and two)
                len(d) + 1 - coalesce(
                    list_position(list_transform(list_reverse(d), lambda x: coalesce(x, '') <> ''), true),
                    len(d) + 1
                ) as dn,
                row_number() over (order by _inst nulls first, _src_file, _src_ord) as seq,
                case
                    when not _ok then 'not a queue_log line (time|callid|queue|agent|event|data...)'
                    when _time is null or _time = '' then 'time missing'
                    when kind is null
                        then 'unknown queue_log event ' || coalesce(nullif(event, ''), '(empty)')
                    when _epoch is not true and _src_file in ({
            ", ".join(str(i) for i, p in enumerate(unit.paths) if not self._csv(p)) or "-1"
        }) then 'time is not a UNIX timestamp: ' || left(_time, 40)
                    when kind = 'agent' and coalesce(agent, '') in ('', 'NONE')
                        then event || ' without an agent'
                end as _bad
            from timed
        """)
        # A call's events in order; each ENTERQUEUE starts a queue segment.
        st.temp("_cx_a_call")
        st.con.execute(f"""
            create temp table _cx_a_call as
            with calls as (
                select *, sum(case when kind = 'start' then 1 else 0 end) over (
                    partition by callid order by seq rows unbounded preceding) as seg
                from _cx_a_ev
                where _bad is null and kind in ('start', 'info', 'end')
                    and coalesce(callid, '') not in {_NO_CALL}
            )
            select *,
                case
                    when seg = 0 then 'no ENTERQUEUE of call ' || callid || ' before this event'
                    when kind = 'end' and row_number() over (
                        partition by callid, seg, kind = 'end' order by seq) > 1
                        then 'a second end event for the same queue segment of call ' || callid
                end as _bad2
            from calls
        """)

    # -- acd_contacts --------------------------------------------------------------------------

    def _contacts(self, st: Staging, placement: Placement) -> None:
        p = placement.columns("s.queue", "pq")
        nxt = placement.columns("s.next_queue", "nq")
        end = "s.end_event"
        d = "s.end_d"
        wait_at_end = (
            f"case when {end} in ('ABANDON', 'EXITWITHTIMEOUT', 'EXITEMPTY') then {d}[3] "
            f"when {end} = 'EXITWITHKEY' then {d}[4] "
            f"when {end} in ('COMPLETECALLER', 'COMPLETEAGENT') then {d}[1] "
            f"when {end} in ('TRANSFER', 'BLINDTRANSFER') then {d}[3] "
            f"when {end} = 'ATTENDEDTRANSFER' then {d}[s.end_n - 2] end"
        )
        talk = (
            f"case when {end} in ('COMPLETECALLER', 'COMPLETEAGENT') then {d}[2] "
            f"when {end} in ('TRANSFER', 'BLINDTRANSFER') then {d}[4] "
            f"when {end} = 'ATTENDEDTRANSFER' then {d}[s.end_n - 1] end"
        )
        transfer = "('TRANSFER', 'BLINDTRANSFER', 'ATTENDEDTRANSFER')"
        # DECISIONLOG "Asterisk Reader: Segments and Outcomes": a transfer is a transfer only when
        # the call enters another queue next, else an answered call; an exit without an answer
        # that continues in another queue is an overflow; system exits are never abandons.
        outcome = f"""case
            when {end} in ('COMPLETECALLER', 'COMPLETEAGENT') then 'answered'
            when {end} in {transfer}
                then case when s.next_queue is not null then 'transfer' else 'answered' end
            when {end} = 'ABANDON' then 'abandoned'
            when {end} in ('EXITWITHTIMEOUT', 'EXITEMPTY', 'EXITWITHKEY') and s.next_queue is not null
                then 'overflow'
            when {end} = 'EXITWITHTIMEOUT' then 'timeout'
            when {end} = 'EXITEMPTY' then 'no_agents'
            when {end} = 'EXITWITHKEY' then 'exit_key'
        end"""
        st.con.execute(f"""
            create temp table _cx_src as
            with segs as (
                select callid, seg,
                    arg_min(_src_file, seq) as _src_file,
                    arg_min(_src_ord, seq) as _src_ord,
                    arg_min(queue, seq) as queue,
                    arg_min(_at, seq) as offered_at,
                    arg_min(d[2], seq) as caller_id,
                    arg_min(_at, seq) filter (where event = 'CONNECT') as answered_at,
                    arg_min(agent, seq) filter (where event = 'CONNECT') as connect_agent,
                    arg_min(d[1], seq) filter (where event = 'CONNECT') as connect_hold,
                    count(*) filter (where event = 'RINGNOANSWER') as rings_unanswered,
                    arg_min(event, seq) filter (where kind = 'end') as end_event,
                    arg_min(_at, seq) filter (where kind = 'end') as ended_at,
                    arg_min(d, seq) filter (where kind = 'end') as end_d,
                    arg_min(dn, seq) filter (where kind = 'end') as end_n,
                    arg_min(agent, seq) filter (where kind = 'end') as end_agent
                from _cx_a_call
                where _bad2 is null
                group by callid, seg
            ),
            s as (
                select *, lead(queue) over (partition by callid order by seg) as next_queue from segs
            ),
            shaped as (
                select s._src_file, s._src_ord,
                    s.callid as contact_id, cast(s.seg as varchar) as segment_id,
                    {p["site_id"]} as site_id, {p["program_id"]} as program_id, {p["queue_id"]} as queue_id,
                    'voice' as channel, 'inbound' as direction, nullif(s.caller_id, '') as customer_key,
                    s.offered_at, s.answered_at, s.ended_at,
                    {outcome} as outcome,
                    nullif(coalesce(nullif(s.connect_hold, ''), {wait_at_end}), '') as wait_seconds,
                    case when s.answered_at is not null then nullif({talk}, '') end as talk_seconds,
                    case when s.answered_at is not null then coalesce(s.connect_agent, s.end_agent) end
                        as agent_id,
                    s.end_event as asterisk_end_event,
                    cast(s.rings_unanswered as varchar) as asterisk_rings_unanswered,
                    case when {end} = 'EXITWITHKEY' then {d}[1] end as asterisk_exit_key,
                    case when {end} in ('TRANSFER', 'BLINDTRANSFER') then {d}[1] || '@' || {d}[2]
                        when {end} = 'ATTENDEDTRANSFER' then {d}[1] || ':' || {d}[2] end
                        as asterisk_transfer_to,
                    null::varchar as _reader_error, false as _not_row,
                    s.next_queue, {nxt["queue_id"]} as next_queue_id
                from s
                left join {placement.relation()} as pq on pq.vendor_queue = s.queue
                left join {placement.relation()} as nq on nq.vendor_queue = s.next_queue
            ),
            rows as (
                select * exclude (next_queue, next_queue_id),
                    case when outcome = 'abandoned' then 'true' when outcome is not null then 'false' end
                        as abandoned,
                    case when outcome in ('transfer', 'overflow') then next_queue_id end
                        as transferred_to_queue
                from shaped
            ),
            -- lines that are not rows: quarantined with their file, line and reason
            bad as (
                select _src_file, _src_ord, coalesce(nullif(callid, ''), '-') as contact_id,
                    '-' as segment_id, null as site_id, null as program_id,
                    coalesce(nullif(queue, ''), '-') as queue_id, 'voice' as channel, 'inbound' as direction,
                    null as customer_key, _at as offered_at, null as answered_at, null as ended_at,
                    null as outcome, null as wait_seconds, null as talk_seconds, null as agent_id,
                    event as asterisk_end_event, null as asterisk_rings_unanswered, null as asterisk_exit_key,
                    null as asterisk_transfer_to, _bad as _reader_error, true as _not_row, null as abandoned,
                    null as transferred_to_queue
                from (
                    select _src_file, _src_ord, callid, queue, _at, event, _bad from _cx_a_ev
                    where _bad is not null
                    union all
                    select _src_file, _src_ord, callid, queue, _at, event, _bad2 from _cx_a_call
                    where _bad2 is not null
                )
            )
            select row_number() over (order by _src_file, _src_ord) as _ord, *
            from (select * from rows union all by name select * from bad)
        """)
        no_exclusions(st)

    # -- agent_states ----------------------------------------------------------------------------

    def _states(self, st: Staging, placement: Placement) -> None:
        # DECISIONLOG "Asterisk Reader: Agent States From Membership, Pauses and Calls".
        st.con.execute(f"""
            create temp table _cx_src as
            with ev as (
                select seq, _src_file, _src_ord, _at, agent, event, d,
                    case when event in ('ADDMEMBER', 'AGENTLOGIN', 'AGENTCALLBACKLOGIN') then 1
                        when event in ('REMOVEMEMBER', 'AGENTLOGOFF', 'AGENTCALLBACKLOGOFF') then 0
                    end as login,
                    case when event = 'ADDMEMBER' then 1 when event = 'REMOVEMEMBER' then -1 else 0
                    end as member,
                    case when event in ('PAUSE', 'PAUSEALL') then 1
                        when event in ('UNPAUSE', 'UNPAUSEALL', 'REMOVEMEMBER', 'AGENTLOGOFF',
                            'AGENTCALLBACKLOGOFF') then 0 end as paused,
                    case when event in ('PAUSE', 'PAUSEALL') then lower(nullif(d[1], '')) end as pause_reason
                from _cx_a_ev where _bad is null and kind = 'agent'
                union all
                select seq, _src_file, _src_ord, _at, agent, event, d, null, 0, null, null
                from _cx_a_call
                where _bad2 is null and coalesce(agent, '') not in ('', 'NONE')
                    and (event = 'CONNECT' or event in {in_list(CALL_END[:5])})
            ),
            counted as (
                select *,
                    sum(member) over (partition by agent order by seq rows unbounded preceding) as members
                from ev
            ),
            running as (
                select *,
                    -- an agent already a member when the export starts: the count never goes below 0
                    min(members) over (partition by agent) as lowest,
                    last_value(login ignore nulls) over w as logged,
                    count(login) over (partition by agent) as login_events,
                    coalesce(last_value(paused ignore nulls) over w, 0) as is_paused,
                    last_value(pause_reason ignore nulls) over w as reason_now,
                    last_value(
                        case when event = 'CONNECT' then 1 when event in {in_list(CALL_END[:5])} then 0 end
                        ignore nulls
                    ) over w as on_call
                from counted
                window w as (partition by agent order by seq rows unbounded preceding)
            ),
            stated as (
                select *,
                    case
                        when login_events > 0 and not (members - least(lowest, 0) > 0 or logged = 1)
                            then 'logged_out'
                        when on_call = 1 then 'handling'
                        when is_paused = 1 then 'not_ready'
                        else 'available'
                    end as state
                from running
            ),
            reasoned as (
                select *, case when state = 'not_ready' then reason_now end as reason from stated
            ),
            -- several events in the same second (a member added to several queues): the state after the last
            per_time as (
                select * from reasoned
                qualify row_number() over (partition by agent, _at order by seq desc) = 1
            ),
            changes as (
                select * from per_time
                qualify (state, reason) is distinct from lag((state, reason)) over (
                    partition by agent order by seq)
            )
            select row_number() over (order by seq) as _ord, _src_file, _src_ord,
                agent as agent_id, {q(placement.site_id)} as site_id, state, reason,
                _at as started_at, lead(_at) over (partition by agent order by seq) as ended_at,
                'voice' as channel, event as asterisk_event
            from changes
        """)
        no_exclusions(st)

    def stage(self, st: Staging, unit: Unit, entity: str) -> Staged:
        cfg, placement = self.declared(st)
        lines = {i: "csv" if self._csv(p) else "record" for i, p in enumerate(unit.paths)}
        if entity == "acd_contacts":
            self._contacts(st, placement)
            columns = [
                "contact_id", "segment_id", "site_id", "program_id", "queue_id", "channel", "direction",
                "customer_key", "offered_at", "answered_at", "ended_at", "abandoned", "outcome",
                "wait_seconds", "talk_seconds", "agent_id", "transferred_to_queue", "asterisk_end_event",
                "asterisk_rings_unanswered", "asterisk_exit_key", "asterisk_transfer_to",
            ]  # fmt: skip
            return Staged(columns, checks=True, not_rows=True, time_zone=self._zone(st, cfg), lines=lines)
        self._states(st, placement)
        columns = [
            "agent_id", "site_id", "state", "reason", "started_at", "ended_at", "channel", "asterisk_event",
        ]  # fmt: skip
        return Staged(columns=columns, time_zone=self._zone(st, cfg), lines=lines)
