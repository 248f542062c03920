"""Genesys Cloud reader: the real conversation-details response of ../shared/realdata/genesys_cloud
(25 conversations of a PureCloud org, September 2016) read in place, with counts made by hand with
jq; and hand-made conversations for what the sample lacks (abandons, transfers, overflows, unknown
types)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from vendor_samples import GENESYS, link_sample

from conftest import load, query, write

SAMPLE = "conversation_details_query_result_2016.json"


def t(h, m, s=0.0, day=6) -> dt.datetime:
    return dt.datetime(2016, 9, day, h, m, int(s), round(s % 1 * 1e6), tzinfo=dt.UTC)


@pytest.fixture
def sample(home):
    if not (GENESYS / SAMPLE).exists():
        pytest.skip("real Genesys Cloud sample not available")
    landing = home / "landing"
    link_sample(GENESYS, landing, "genesys_cloud")
    (landing / "sources.yml").write_text("genesys_cloud:\n  queue_id: WEBCHAT\n  program_id: GEN\n")
    return landing, home / "warehouse.duckdb"


def test_sample_counts_worked_out_with_jq(sample):
    landing, wh = sample
    (acd, chat) = load(landing, wh).files
    # F=conversation_details_query_result_2016.json
    # jq '.conversations|length' $F                                                    -> 25
    # jq '[.conversations[] | select(any(.participants[].sessions[]; .mediaType=="voice"))]|length'
    #                                                                                  -> 2
    # ... .mediaType=="callback" -> 19, .mediaType=="chat" -> 4: 2 + 19 + 4 = 25.
    # jq '[.conversations[].participants[] | select(.purpose=="acd") | .sessions[].segments[]
    #      | select(.segmentType=="interact" and .queueId!=null)] | length'          -> 21 queue segments
    assert (acd.entity, acd.rows, acd.quarantined, chat.entity, chat.rows, chat.quarantined) == (
        "acd_contacts",
        21,
        0,
        "chat_sessions",
        4,
        0,
    )
    assert query(wh, "select count(*) from raw._excluded") == [(0,)]
    # Voice conversations are inbound (the acd sessions' direction); the 19 callbacks are
    # outbound-campaign previews (outboundCampaignId set), outbound work, not offered calls.
    counts = query(
        wh,
        "select direction, count(*), count(answered_at), count(*) filter (where outcome = 'abandoned'), "
        "count(*) filter (where outcome = 'transfer') from raw.acd_contacts group by all order by 1",
    )
    # jq '[.conversations[] | select(any(.participants[] | select(.purpose=="agent")
    #      | .sessions[].segments[]; .segmentType=="interact"))] | length'            -> 25: every
    # conversation reached an agent, so all 21 queue segments and all 4 chats are answered.
    # jq '[... select(.purpose=="acd") | .sessions[].segments[] | select(.segmentType=="interact")
    #      | .disconnectType] | group_by(.)'                      -> [["transfer",21]]: routed, none lost
    # Agent interact disconnectTypes: client x19, peer, null, system x4: no transfer, so no transfers.
    assert counts == [("inbound", 2, 2, 0, 0), ("outbound", 19, 19, 0, 0)]
    # The two inbound calls, from their segments: acd interact start -> offered, the agent's
    # interact start -> answered, its end -> ended, its wrapup segment -> after-call work.
    rows = query(
        wh,
        "select contact_id, segment_id, queue_id, offered_at, answered_at, ended_at, outcome, wait_seconds, "
        "talk_seconds, hold_seconds, acw_seconds, agent_id from raw.acd_contacts "
        "where direction = 'inbound' order by offered_at",
    )
    assert rows == [
        # 585f63eb: acd 07:06:19.528, agent interact 07:06:33.227-07:06:49.299, wrapup
        # 07:06:49.016-07:06:54.016 (5 s).
        ("585f63eb-e0be-47b6-a1d0-c65ba586bef2", "1", "95c9d5f7-ad80-4572-857a-64d241cf4851",
         t(7, 6, 19.528), t(7, 6, 33.227), t(7, 6, 49.299), "answered", 13.699, 16.072, 0.0, 5.0,
         "8c88c7f8-b6ba-4761-b2e5-4ae4425a3991"),
        # 001ca953: acd 07:07:11.200, interact 07:07:15.541-07:07:33.021, wrapup 39 s.
        ("001ca953-b79b-43a1-b8a9-0d9d4c95b617", "1", "95c9d5f7-ad80-4572-857a-64d241cf4851",
         t(7, 7, 11.2), t(7, 7, 15.541), t(7, 7, 33.021), "answered", 4.341, 17.48, 0.0, 39.0,
         "8c88c7f8-b6ba-4761-b2e5-4ae4425a3991"),
    ]  # fmt: skip
    # Chats: no queue in the 2016 schema, so the declared WEBCHAT; the first human response is
    # the agent's interact start (jq: every chat's agent has one -> 4 first responses).
    chats = query(
        wh,
        "select queue_id, program_id, requested_at, first_human_response_at, established, end_reason, "
        "wrap_seconds from raw.chat_sessions order by requested_at",
    )
    assert len(chats) == 4 and all(c[3] is not None and c[4] for c in chats)
    assert {(c[0], c[1], c[5]) for c in chats} == {("WEBCHAT", "GEN", None)}  # customer: 'system'
    # e578dec2: customer interact from 10:38:12.756, agent interact 10:38:15.699, wrapup
    # 10:53:42.923-11:31:03.923 = 2,241 s.
    assert chats[0][2:4] + (chats[0][6],) == (t(10, 38, 12.756), t(10, 38, 15.699), 2241.0)
    # Loading the same sample again changes nothing.
    assert [f.status for f in load(landing, wh).files] == ["unchanged", "unchanged"]


def _conv(cid, start, *participants):
    return {"conversationId": cid, "conversationStart": start, "participants": list(participants)}


def _part(purpose, media, *segments, user=None, direction="inbound", ani=None):
    session = {"mediaType": media, "direction": direction, "segments": list(segments)}
    if ani:
        session["ani"] = ani
    p = {"purpose": purpose, "sessions": [session]}
    if user:
        p["userId"] = user
    return p


def _seg(kind, start, end, queue=None, disconnect=None):
    s = {"segmentType": kind, "segmentStart": f"2026-03-10T{start}Z", "segmentEnd": f"2026-03-10T{end}Z"}
    if queue:
        s["queueId"] = queue
    if disconnect:
        s["disconnectType"] = disconnect
    return s


def _at(h, m, s=0):
    return dt.datetime(2026, 3, 10, h, m, s, tzinfo=dt.UTC)


CONVERSATIONS = [
    # A: abandoned in Q1 after 40 s (the ACD segment ends with the customer, 'peer').
    _conv("A", "2026-03-10T10:00:00Z",
          _part("customer", "voice", _seg("interact", "10:00:00", "10:00:40", disconnect="endpoint"),
                ani="tel:+447700900001"),
          _part("acd", "voice", _seg("interact", "10:00:00", "10:00:40", "Q1", "peer"))),
    # B: answered in Q1, transferred to Q2, answered there with a hold.
    _conv("B", "2026-03-10T10:10:00Z",
          _part("acd", "voice", _seg("interact", "10:10:00", "10:10:05", "Q1", "transfer")),
          _part("agent", "voice", _seg("alert", "10:10:02", "10:10:05", "Q1"),
                _seg("interact", "10:10:05", "10:12:05", "Q1", "transfer"),
                _seg("wrapup", "10:12:05", "10:12:35", "Q1"), user="A1"),
          _part("acd", "voice", _seg("interact", "10:12:05", "10:12:20", "Q2", "transfer")),
          _part("agent", "voice", _seg("interact", "10:12:20", "10:13:20", "Q2"),
                _seg("hold", "10:13:20", "10:13:50", "Q2"),
                _seg("interact", "10:13:50", "10:15:20", "Q2", "peer"), user="A2")),
    # C: left Q1 unanswered for Q2 (an overflow), where the flow ended it ('system': a timeout).
    _conv("C", "2026-03-10T10:20:00Z",
          _part("acd", "voice", _seg("interact", "10:20:00", "10:21:00", "Q1", "transfer")),
          _part("acd", "voice", _seg("interact", "10:21:00", "10:22:00", "Q2", "system"))),
    # D: an unanswered segment ending with a type no outcome is declared for.
    _conv("D", "2026-03-10T10:30:00Z",
          _part("acd", "voice", _seg("interact", "10:30:00", "10:30:09", "Q1", "spam"))),
    # E: an e-mail conversation: not read by this reader.
    _conv("E", "2026-03-10T10:40:00Z", _part("acd", "email", _seg("interact", "10:40:00", "10:41:00", "QE"))),
    # F: a media type the API does not have.
    _conv("F", "2026-03-10T10:50:00Z", _part("acd", "fax", _seg("interact", "10:50:00", "10:51:00", "Q1"))),
    # G: a chat through queue QC, answered after 20 s, the customer leaves.
    _conv("G", "2026-03-10T11:00:00Z",
          _part("customer", "chat", _seg("interact", "11:00:00", "11:09:00", disconnect="endpoint")),
          _part("acd", "chat", _seg("interact", "11:00:00", "11:00:20", "QC", "transfer")),
          _part("agent", "chat", _seg("interact", "11:00:20", "11:09:00", "QC", "peer"),
                _seg("wrapup", "11:09:00", "11:10:00", "QC"), user="A3")),
    # H: a call that ended in the IVR: never queued.
    _conv("H", "2026-03-10T11:20:00Z", _part("ivr", "voice", _seg("ivr", "11:20:00", "11:21:00"))),
]  # fmt: skip
HAND_SOURCES = """
genesys_cloud:
  site_id: LON
  queues:
    Q1: {queue_id: SUPPORT, program_id: TELCO}
    Q2: {queue_id: SALES, program_id: TELCO}
"""


def test_hand_made_conversations_worked_by_hand(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    lines = [json.dumps(c) for c in CONVERSATIONS]
    lines.insert(6, "{not json")  # line 7
    write(landing, "genesys_cloud", "conversations_2026-03-10.jsonl", "\n".join(lines) + "\n")
    (landing / "sources.yml").write_text(HAND_SOURCES)
    (acd, chat) = load(landing, wh).files
    assert (acd.rows, acd.quarantined, chat.rows, chat.quarantined) == (5, 3, 1, 0)
    rows = query(
        wh,
        "select contact_id, segment_id, queue_id, program_id, offered_at, answered_at, ended_at, outcome, "
        "abandoned, wait_seconds, talk_seconds, hold_seconds, acw_seconds, agent_id, transferred_to_queue "
        "from raw.acd_contacts order by contact_id, segment_id",
    )
    assert rows == [
        ("A", "1", "SUPPORT", "TELCO", _at(10, 0), None, _at(10, 0, 40), "abandoned", True, 40.0, None, None,
         None, None, None),
        # talk 10:10:05-10:12:05 = 120 s, wrap-up 30 s; the agent's interact ends in a transfer and
        # the call enters Q2 next.
        ("B", "1", "SUPPORT", "TELCO", _at(10, 10), _at(10, 10, 5), _at(10, 12, 5), "transfer", False, 5.0,
         120.0, 0.0, 30.0, "A1", "SALES"),
        # talk 60 + 90 s around a 30 s hold.
        ("B", "2", "SALES", "TELCO", _at(10, 12, 5), _at(10, 12, 20), _at(10, 15, 20), "answered", False,
         15.0, 150.0, 30.0, 0.0, "A2", None),
        ("C", "1", "SUPPORT", "TELCO", _at(10, 20), None, _at(10, 21), "overflow", False, 60.0, None, None,
         None, None, "SALES"),
        ("C", "2", "SALES", "TELCO", _at(10, 21), None, _at(10, 22), "timeout", False, 60.0, None, None, None,
         None, None),
    ]  # fmt: skip
    assert query(wh, "select distinct site_id, customer_key is not null from raw.acd_contacts "
                 "where contact_id = 'A'") == [("LON", True)]  # fmt: skip
    spam = "unknown disconnectType spam of an unanswered queue segment: declare "
    spam += "genesys_cloud.disconnect_types"
    assert query(wh, "select line, reason from raw._quarantine order by line") == [
        (4, spam),
        (6, "unknown mediaType fax"),
        (7, "not a valid JSON value"),
    ]
    assert query(wh, "select line, reason from raw._excluded order by line") == [
        (5, "media type email: not read (voice, callback and chat are)"),
        (9, "voice conversation never queued (no ACD participant with a queue)"),
    ]
    # G: through QC (undeclared: its Genesys id kept), first human response 20 s after the request.
    assert query(
        wh,
        "select chat_id, queue_id, requested_at, first_human_response_at, established, ended_at, end_reason, "
        "agent_id, wrap_seconds from raw.chat_sessions",
    ) == [("G", "QC", _at(11, 0), _at(11, 0, 20), True, _at(11, 9), "customer_left", "A3", 60.0)]

    # Declaring what 'spam' means reads the folder again (its files unchanged): D becomes a row,
    # and its quarantine record goes with the earlier derivation.
    (landing / "sources.yml").write_text(HAND_SOURCES + "  disconnect_types: {spam: abandoned}\n")
    (acd, _chat) = load(landing, wh).files
    assert (acd.status, acd.rows, acd.quarantined) == ("replaced", 6, 2)
    assert acd.message.endswith("0 new or changed, declarations changed; replaced 5 rows derived before")
    assert query(wh, "select outcome from raw.acd_contacts where contact_id = 'D'") == [("abandoned",)]
    assert Path(query(wh, "select path from raw._quarantine limit 1")[0][0]).name.endswith(".jsonl")
