"""Amazon Connect contact-record reader. The shared real data holds Amazon's documentation, not an
export: the queued-callback worked example (queued-callback-example.md) is read from there, its two
contact records rebuilt from its tables, and the reader checked against the values it states. The
rest of the data model (transfers, queue transfers, repeated deliveries, chats, hold and after-contact
work, disconnect reasons) is covered by hand-made records."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from vendor_samples import AMAZON_CONNECT_DOCS

from cxmart.connectors.loader import pseudonymise

from conftest import TEST_KEY, load, query, write

EXAMPLE = AMAZON_CONNECT_DOCS / "queued-callback-example.md"
DAY = "2023-06-15"  # the example gives times only; a date of the docs' last commit


def _tables(text: str) -> dict[str, dict[str, str]]:
    """The example's two tables: record name -> {field: data}."""
    tables: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        cells = [c.strip().replace("\\", "") for c in line.strip().strip("|").split("|")]
        if len(cells) < 2:
            current = None
            continue
        if cells[0].lower().startswith("contact record"):
            current = tables.setdefault(cells[0].lower().replace(" ", ""), {})
        elif current is not None and not set(cells[0]) <= {"-", " "}:
            current[cells[0]] = cells[1]
    return tables


def _ts(clock: str) -> str:
    h, m, *s = clock.split(":")
    return f"{DAY}T{int(h):02d}:{int(m):02d}:{int(s[0]) if s else 0:02d}Z"


def _worked_example_records() -> list[dict]:
    t = _tables(EXAMPLE.read_text())
    r1, r2 = t["contactrecord-1"], t["contactrecord-2"]
    # record-1's table: Initiation Method Inbound, Initiation Timestamp 11:35, Next Contact Id ->
    # record-2, Queue InboundQueue, Enqueued 11:35, Dequeued 11:37, ConnectedToAgent N/A,
    # Disconnected 11:37:00 ("John was disconnected by flow").
    assert (r1["Initiation Method"], r1["ConnectedToAgent Timestamp"]) == ("Inbound", "N/A")
    rec1 = {
        "ContactId": "record-1", "InitialContactId": "record-1", "NextContactId": "record-2",
        "Channel": "VOICE", "InitiationMethod": r1["Initiation Method"].upper(),
        "InitiationTimestamp": _ts(r1["Initiation Timestamp"]),
        "Queue": {"Name": r1["Queue"], "EnqueueTimestamp": _ts(r1["Enqueued Timestamp"]),
                  "DequeueTimestamp": _ts(r1["Dequeued Timestamp"])},
        "DisconnectTimestamp": _ts(r1["Disconnected Timestamp"]),
        "DisconnectReason": "CONTACT_FLOW_DISCONNECT", "LastUpdateTimestamp": _ts("11:46"),
    }  # fmt: skip
    # record-2's table: PreviousContactId -> record-1, Initiation Timestamp 11:37, Queue
    # CallbackQueue, Enqueued 11:38:39, Dequeued 11:39:00, Queue Duration 120 seconds,
    # ConnectedToSystem 11:39:10, ConnectedToAgent 11:39:25, Disconnected 11:45 (John hangs up).
    assert r2["Queue Duration"] == "120 seconds"
    rec2 = {
        "ContactId": "record-2", "InitialContactId": "record-1", "PreviousContactId": "record-1",
        "Channel": "VOICE", "InitiationMethod": "CALLBACK",
        "InitiationTimestamp": _ts(r2["Initiation Timestamp"]),
        "ConnectedToSystemTimestamp": _ts(r2["ConnectedToSystem Timestamp"]),
        "Queue": {"Name": r2["Queue"], "EnqueueTimestamp": _ts(r2["Enqueued Timestamp"]),
                  "DequeueTimestamp": _ts(r2["Dequeued Timestamp"]),
                  "Duration": int(r2["Queue Duration"].split()[0])},
        "Agent": {"Username": "agent1", "ConnectedToAgentTimestamp": _ts(r2["ConnectedToAgent Timestamp"])},
        "DisconnectTimestamp": _ts(r2["Disconnected Timestamp"]),
        "DisconnectReason": "CUSTOMER_DISCONNECT", "LastUpdateTimestamp": _ts("11:46"),
    }  # fmt: skip
    return [rec1, rec2]


def at(h, m, s=0, day=(2023, 6, 15)) -> dt.datetime:
    return dt.datetime(*day, h, m, s, tzinfo=dt.UTC)


def test_queued_callback_worked_example_of_the_documentation(home):
    if not EXAMPLE.exists():
        pytest.skip("Amazon Connect documentation sample not available")
    landing, wh = home / "landing", home / "warehouse.duckdb"
    records = _worked_example_records()
    write(landing, "amazon_connect", "ctr_2023-06-15.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    (acd, chat) = load(landing, wh).files
    # By hand from the example: 2 contact records, both voice and queued: 2 segments of one contact;
    # 1 answered (record-2, by an agent), 0 abandoned ("Record-1 not abandoned": the customer
    # chose a callback), 1 callback, 0 transfers; no chat.
    assert (acd.rows, acd.quarantined, chat.rows) == (2, 0, 0)
    rows = query(
        wh,
        "select contact_id, segment_id, queue_id, direction, offered_at, answered_at, ended_at, outcome, "
        "abandoned, wait_seconds from raw.acd_contacts order by offered_at",
    )
    assert rows == [
        # InboundQueue 11:35 -> 11:37 (120 s), then the callback: outcome callback, not abandoned.
        ("record-1", "record-1", "InboundQueue", "inbound", at(11, 35), None, at(11, 37), "callback", False,
         120.0),
        # The callback is work placed to the customer (outbound): queued 11:38:39 after the 99 s
        # initial delay, accepted at 11:39:00, so 21 s in queue, not the record's Queue Duration
        # of 120 s (99 s delay + 21 s); connected to the agent 11:39:25 after both whispers.
        ("record-1", "record-2", "CallbackQueue", "outbound", at(11, 38, 39), at(11, 39, 25), at(11, 45),
         "answered", False, 21.0),
    ]  # fmt: skip
    durations = query(
        wh, "select attributes->>'connect_queue_duration' from raw.acd_contacts order by offered_at"
    )
    assert durations == [(None,), ("120",)]  # record-2 keeps its Queue Duration in attributes


def _rec(cid, method, queue, enq, deq=None, agent_at=None, end=None, reason="CUSTOMER_DISCONNECT", **kw):
    r = {"ContactId": cid, "InitialContactId": kw.pop("initial", cid), "Channel": kw.pop("channel", "VOICE"),
         "InitiationMethod": method, "InitiationTimestamp": f"2026-03-10T{enq or end}Z",
         "DisconnectTimestamp": f"2026-03-10T{end}Z",
         "LastUpdateTimestamp": kw.pop("updated", "2026-03-10T12:00:00Z"),
         "CustomerEndpoint": {"Address": "+15550100", "Type": "TELEPHONE_NUMBER"}}  # fmt: skip
    if reason:
        r["DisconnectReason"] = reason
    if queue:
        r["Queue"] = {"Name": queue}
        if enq:
            r["Queue"]["EnqueueTimestamp"] = f"2026-03-10T{enq}Z"
        if deq:
            r["Queue"]["DequeueTimestamp"] = f"2026-03-10T{deq}Z"
    if agent_at:
        r["Agent"] = {"Username": "jdoe", "ConnectedToAgentTimestamp": f"2026-03-10T{agent_at}Z",
                      **kw.pop("durations", {})}  # fmt: skip
    r.update(kw)
    return r


def _d(talk, hold=0, acw=0):
    return {"AgentInteractionDuration": talk, "CustomerHoldDuration": hold, "AfterContactWorkDuration": acw}


RECORDS = [
    # 1: answered after 15 s; 240 s talk, 60 s hold, 30 s after-contact work.
    _rec("v1", "INBOUND", "Support", "09:00:00", "09:00:15", "09:00:15", "09:05:15",
         durations=_d(240, 60, 30)),
    # 2: an earlier delivery of v1 (no after-contact work yet): replaced by the later copy.
    _rec("v1", "INBOUND", "Support", "09:00:00", "09:00:15", "09:00:15", "09:05:15", durations=_d(240, 60),
         updated="2026-03-10T09:05:16Z"),
    # 3: the customer hung up in queue after 45 s.
    _rec("v2", "INBOUND", "Support", "09:10:00", "09:10:45", end="09:10:45"),
    # 4-5: answered, then the agent transferred the call to the Billing queue.
    _rec("v3a", "INBOUND", "Support", "09:20:00", "09:20:10", "09:20:10", "09:23:10", "AGENT_DISCONNECT",
         NextContactId="v3b", durations=_d(180)),
    _rec("v3b", "TRANSFER", "Billing", "09:23:10", "09:23:40", "09:23:40", "09:28:40", initial="v3a",
         PreviousContactId="v3a", durations=_d(300)),
    # 6-7: moved by the queue flow from Support to Billing after 60 s, answered there.
    _rec("v4a", "INBOUND", "Support", "09:30:00", "09:31:00", end="09:31:00",
         reason="CONTACT_FLOW_DISCONNECT", NextContactId="v4b"),
    _rec("v4b", "QUEUE_TRANSFER", "Billing", "09:31:00", "09:31:20", "09:31:20", "09:34:20", initial="v4a",
         PreviousContactId="v4a", durations=_d(180)),
    # 8: the queue flow disconnected the caller after 5 minutes: a system exit.
    _rec("v5", "INBOUND", "Support", "09:40:00", "09:45:00", end="09:45:00",
         reason="CONTACT_FLOW_DISCONNECT"),
    # 9: a reason the data model does not have.
    _rec("v6", "INBOUND", "Support", "09:50:00", "09:51:00", end="09:51:00", reason="GREMLINS"),
    # 10: an agent's outbound call: never queued.
    _rec("v7", "OUTBOUND", "Support", None, end="09:58:00"),
    # 11: a chat answered after 30 s, the customer leaves; 45 s after-chat work.
    _rec("c1", "API", "WebChat", "10:00:00", "10:00:30", "10:00:30", "10:10:00", channel="CHAT",
         durations=_d(570, 0, 45)),
    # 12: a chat nobody answered, the customer left after a minute.
    _rec("c2", "API", "WebChat", "10:20:00", "10:21:00", end="10:21:00", channel="CHAT"),
    # 13: a chat the bot handled in the flow, never queued.
    _rec("c3", "API", None, None, end="10:30:00", channel="CHAT"),
    # 14: a task.
    _rec("t1", "API", "Tasks", "10:40:00", end="10:50:00", channel="TASK", reason="AGENT_DISCONNECT"),
]  # fmt: skip
SOURCES = """
amazon_connect:
  site_id: SEA
  queues:
    Support: {queue_id: SUPPORT, program_id: RETAIL}
    Billing: {queue_id: BILLING, program_id: RETAIL}
    WebChat: {queue_id: CHAT, program_id: RETAIL}
"""


def _t(h, m, s=0):
    return dt.datetime(2026, 3, 10, h, m, s, tzinfo=dt.UTC)


def test_hand_made_contact_records_worked_by_hand(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    lines = [json.dumps(r) for r in RECORDS]
    lines.insert(10, "{broken")  # line 11
    # Firehose writes records back to back; the second file holds two of them on one line.
    write(landing, "amazon_connect", "ctr_2026-03-10_a.jsonl", "\n".join(lines[:12]) + "\n")
    write(landing, "amazon_connect", "ctr_2026-03-10_b.json", "".join(lines[12:]))
    (landing / "sources.yml").write_text(SOURCES)
    (acd, chat) = load(landing, wh).files
    assert (acd.rows, acd.quarantined, chat.rows, chat.quarantined) == (7, 2, 2, 0)
    rows = query(
        wh,
        "select contact_id, segment_id, queue_id, offered_at, answered_at, ended_at, outcome, abandoned, "
        "wait_seconds, talk_seconds, hold_seconds, acw_seconds, agent_id, transferred_to_queue "
        "from raw.acd_contacts order by offered_at",
    )
    assert rows == [
        # the later delivery of v1, with its 30 s of after-contact work
        ("v1", "v1", "SUPPORT", _t(9, 0), _t(9, 0, 15), _t(9, 5, 15), "answered", False, 15.0, 240.0, 60.0,
         30.0, "jdoe", None),
        ("v2", "v2", "SUPPORT", _t(9, 10), None, _t(9, 10, 45), "abandoned", True, 45.0, None, None, None,
         None, None),
        ("v3a", "v3a", "SUPPORT", _t(9, 20), _t(9, 20, 10), _t(9, 23, 10), "transfer", False, 10.0, 180.0,
         0.0, 0.0, "jdoe", "BILLING"),
        ("v3a", "v3b", "BILLING", _t(9, 23, 10), _t(9, 23, 40), _t(9, 28, 40), "answered", False, 30.0, 300.0,
         0.0, 0.0, "jdoe", None),
        ("v4a", "v4a", "SUPPORT", _t(9, 30), None, _t(9, 31), "overflow", False, 60.0, None, None, None, None,
         "BILLING"),
        ("v4a", "v4b", "BILLING", _t(9, 31), _t(9, 31, 20), _t(9, 34, 20), "answered", False, 20.0, 180.0,
         0.0, 0.0, "jdoe", None),
        ("v5", "v5", "SUPPORT", _t(9, 40), None, _t(9, 45), "timeout", False, 300.0, None, None, None, None,
         None),
    ]  # fmt: skip
    assert query(
        wh, "select distinct site_id, program_id, direction, customer_key from raw.acd_contacts"
    ) == [("SEA", "RETAIL", "inbound", pseudonymise("+15550100", TEST_KEY))]
    assert query(
        wh,
        "select chat_id, queue_id, requested_at, first_human_response_at, established, ended_at, end_reason, "
        "agent_id, wrap_seconds from raw.chat_sessions order by chat_id",
    ) == [
        ("c1", "CHAT", _t(10, 0), _t(10, 0, 30), True, _t(10, 10), "customer_left", "jdoe", 45.0),
        ("c2", "CHAT", _t(10, 20), None, False, _t(10, 21), "customer_left", None, None),
    ]
    # Line 9 (v6) and line 11 (broken) quarantined; the earlier delivery of v1 (line 2), the
    # outbound call (line 10), the bot chat and the task (records 2 and 3 of the second file, one
    # line of three records back to back) are not rows, with their reasons.
    quarantined = query(
        wh, "select regexp_extract(path, '[^/]+$'), line, reason from raw._quarantine order by 2"
    )
    assert quarantined == [
        ("ctr_2026-03-10_a.jsonl", 9, "unknown DisconnectReason GREMLINS of a queued contact nobody "
         "answered: declare amazon_connect.disconnect_reasons"),
        ("ctr_2026-03-10_a.jsonl", 11, "not a valid JSON value"),
    ]  # fmt: skip
    assert query(
        wh, "select entity, regexp_extract(path, '[^/]+$'), line, reason from raw._excluded order by all"
    ) == [
        ("acd_contacts", "ctr_2026-03-10_a.jsonl", 2,
         "an earlier delivery of contact record v1 (the copy with the latest LastUpdateTimestamp is read)"),
        ("acd_contacts", "ctr_2026-03-10_a.jsonl", 10,
         "voice contact never queued (InitiationMethod OUTBOUND)"),
        ("acd_contacts", "ctr_2026-03-10_b.json", 3, "TASK channel: not read (VOICE and CHAT are)"),
        ("chat_sessions", "ctr_2026-03-10_b.json", 2, "chat contact never queued (InitiationMethod API)"),
    ]  # fmt: skip
