"""Asterisk queue_log reader: hand-made logs (there is no Asterisk sample in ../shared/realdata)
covering every event the reader knows, each with its canonical rows worked out by hand.

Event fields as Asterisk's queue_log documentation gives them: ENTERQUEUE(url|callerid),
CONNECT(holdtime|bridged uniqueid|ringtime), COMPLETECALLER/COMPLETEAGENT(holdtime|calltime|
origposition), TRANSFER/BLINDTRANSFER(extension|context|holdtime|calltime|origposition),
ATTENDEDTRANSFER(method|target|holdtime|calltime|origposition), ABANDON/EXITWITHTIMEOUT/EXITEMPTY
(position|origposition|waittime), EXITWITHKEY(key|position|origposition|waittime),
RINGNOANSWER(ringtime ms), PAUSE(reason).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cxmart.connectors.loader import pseudonymise

from conftest import TEST_KEY, load, query, write


def at(h: int, m: int, s: int = 0, day: int = 10) -> dt.datetime:
    return dt.datetime(2026, 3, day, h, m, s, tzinfo=dt.UTC)


# 1773133200 is 2026-03-10 09:00:00 UTC. Line numbers are the file's (no header).
QUEUE_LOG = """\
1773133200|NONE|NONE|Agent/1001|AGENTLOGIN|PJSIP/1001
1773133200|NONE|support|Agent/1001|ADDMEMBER|
1773133200|NONE|billing|Agent/1001|ADDMEMBER|
1773133260|NONE|support|Agent/1002|ADDMEMBER|
1773133320|c1|support|NONE|ENTERQUEUE||+447700900001|1
1773133332|c1|support|Agent/1001|CONNECT|12|c1b|3
1773133512|c1|support|Agent/1001|COMPLETECALLER|12|180|1
1773133600|c2|support|NONE|ENTERQUEUE||+447700900002|1
1773133615|c2|support|Agent/1002|RINGNOANSWER|15000
1773133625|c2|support|NONE|ABANDON|1|1|25
1773133700|c3|support|NONE|ENTERQUEUE||+447700900003|1
1773133708|c3|support|Agent/1002|CONNECT|8|c3b|2
1773133808|c3|support|Agent/1002|BLINDTRANSFER|700|from-internal|8|100|1
1773133808|c3|billing|NONE|ENTERQUEUE||+447700900003|1
1773133818|c3|billing|Agent/1001|CONNECT|10|c3c|4
1773134058|c3|billing|Agent/1001|COMPLETEAGENT|10|240|1
1773134100|NONE|support|Agent/1001|PAUSE|Lunch
1773134100|NONE|billing|Agent/1001|PAUSE|Lunch
1773134200|c4|billing|NONE|ENTERQUEUE||+447700900004|1
1773134500|c4|billing|NONE|EXITWITHTIMEOUT|1|1|300
1773134600|c5|support|NONE|ENTERQUEUE||+447700900005|1
1773134620|c5|support|NONE|EXITWITHKEY|1|1|1|20
1773134650|c5|support|NONE|FOOBAR|x
1773135900|NONE|support|Agent/1001|UNPAUSE|
1773135900|NONE|billing|Agent/1001|UNPAUSE|
1773136000|c6|support|NONE|ENTERQUEUE||+447700900006|1
1773136005|c6|support|Agent/1002|CONNECT|5|c6b|1
1773136105|c6|support|Agent/1002|ATTENDEDTRANSFER|BRIDGE|abc123|5|100|1
1773136200|c7|billing|NONE|ENTERQUEUE||+447700900007|1
1773136204|c7|billing|Agent/1001|CONNECT|4|c7b|2
1773136264|c7|billing|Agent/1001|TRANSFER|201|from-internal|4|60|1
1773136300|NONE|support|Agent/1002|REMOVEMEMBER|
1773136400|NONE|support|Agent/1001|REMOVEMEMBER|
1773136400|NONE|billing|Agent/1001|REMOVEMEMBER|
1773136400|NONE|NONE|Agent/1001|AGENTLOGOFF|PJSIP/1001|3200
1773136500|c8|support|NONE|ENTERQUEUE||+447700900008|1
1773136505|c8|support|NONE|EXITEMPTY|1|1|5
1773136600|c9|support|NONE|ENTERQUEUE||+447700900009|1
1773136660|c9|support|NONE|EXITWITHTIMEOUT|1|1|60
1773136660|c9|billing|NONE|ENTERQUEUE||+447700900009|1
1773136670|c9|billing|NONE|EXITEMPTY|1|1|10
"""

# The same log's shape as a SQL `queue_log` table export: local times of the PBX's database.
TABLE_EXPORT = """\
time,callid,queuename,agent,event,data1,data2,data3,data4,data5
2026-03-11 09:59:00,NONE,support,Agent/1003,ADDMEMBER,,,,,
2026-03-11 10:00:00,c10,support,NONE,ENTERQUEUE,,+15550100,1,,
2026-03-11 10:00:07,c10,support,Agent/1003,CONNECT,7,c10b,3,,
2026-03-11 10:03:07,c10,support,Agent/1003,COMPLETECALLER,7,180,1,,
2026-03-11 10:30:00,NONE,support,Agent/1003,REMOVEMEMBER,,,,,
"""

SOURCES = """
asterisk:
  time_zone: America/New_York   # of the table export's local times (the log's epochs are UTC)
  site_id: LON
  queues:
    support: {program_id: TELCO}
    billing: {queue_id: BILLING, program_id: TELCO}
"""


def _landing(home: Path) -> tuple[Path, Path]:
    landing = home / "landing"
    write(landing, "asterisk", "queue_log", QUEUE_LOG)
    write(landing, "asterisk", "queue_log_table.csv", TABLE_EXPORT)
    (landing / "sources.yml").write_text(SOURCES)
    return landing, home / "warehouse.duckdb"


def test_queue_log_events_become_queue_segments_worked_by_hand(home):
    landing, wh = _landing(home)
    report = load(landing, wh)
    assert [(f.entity, f.status, f.rows, f.quarantined) for f in report.files] == [
        ("acd_contacts", "loaded", 12, 1),
        ("agent_states", "loaded", 20, 0),
    ]
    rows = query(
        wh,
        "select contact_id, segment_id, queue_id, offered_at, answered_at, ended_at, outcome, abandoned, "
        "wait_seconds, talk_seconds, agent_id, transferred_to_queue from raw.acd_contacts "
        "order by offered_at, segment_id",
    )
    assert rows == [
        # ENTERQUEUE 09:02:00, CONNECT +12 s (holdtime 12), COMPLETECALLER calltime 180.
        ("c1", "1", "support", at(9, 2), at(9, 2, 12), at(9, 5, 12), "answered", False, 12.0, 180.0,
         "Agent/1001", None),
        # RINGNOANSWER on Agent/1002, then ABANDON with waittime 25: a customer abandon.
        ("c2", "1", "support", at(9, 6, 40), None, at(9, 7, 5), "abandoned", True, 25.0, None, None, None),
        # BLINDTRANSFER to 700@from-internal, and the same call enters billing at once: the first
        # segment is a transfer to the second queue (declared queue id BILLING), answered there.
        ("c3", "1", "support", at(9, 8, 20), at(9, 8, 28), at(9, 10, 8), "transfer", False, 8.0, 100.0,
         "Agent/1002", "BILLING"),
        ("c3", "2", "BILLING", at(9, 10, 8), at(9, 10, 18), at(9, 14, 18), "answered", False, 10.0, 240.0,
         "Agent/1001", None),
        # EXITWITHTIMEOUT after 300 s, not followed by another queue: a system exit, not an abandon.
        ("c4", "1", "BILLING", at(9, 16, 40), None, at(9, 21, 40), "timeout", False, 300.0, None, None, None),
        # EXITWITHKEY key 1, waittime 20 (its fourth field).
        ("c5", "1", "support", at(9, 23, 20), None, at(9, 23, 40), "exit_key", False, 20.0, None, None, None),
        # ATTENDEDTRANSFER BRIDGE|abc123|5|100|1 and TRANSFER to extension 201: no queue follows, so
        # the calls were answered (and left the ACD); calltime 100 and 60.
        ("c6", "1", "support", at(9, 46, 40), at(9, 46, 45), at(9, 48, 25), "answered", False, 5.0, 100.0,
         "Agent/1002", None),
        ("c7", "1", "BILLING", at(9, 50), at(9, 50, 4), at(9, 51, 4), "answered", False, 4.0, 60.0,
         "Agent/1001", None),
        # EXITEMPTY: nobody left in support (both agents removed at 09:51:40 and 09:53:20).
        ("c8", "1", "support", at(9, 55), None, at(9, 55, 5), "no_agents", False, 5.0, None, None, None),
        # A timeout that continues in billing is an overflow there; billing is empty too.
        ("c9", "1", "support", at(9, 56, 40), None, at(9, 57, 40), "overflow", False, 60.0, None, None,
         "BILLING"),
        ("c9", "2", "BILLING", at(9, 57, 40), None, at(9, 57, 50), "no_agents", False, 10.0, None, None,
         None),
        # The table export: 10:00 in New York on 11 March 2026 is EDT (UTC-4, from 8 March).
        ("c10", "1", "support", at(14, 0, day=11), at(14, 0, 7, day=11), at(14, 3, 7, day=11), "answered",
         False, 7.0, 180.0, "Agent/1003", None),
    ]  # fmt: skip
    # Declared placement, the caller id as its keyed hash, the vendor detail kept in attributes.
    assert query(
        wh,
        "select distinct site_id, program_id, channel, direction from raw.acd_contacts",
    ) == [("LON", "TELCO", "voice", "inbound")]
    assert query(wh, "select customer_key from raw.acd_contacts where contact_id = 'c1'") == [
        (pseudonymise("+447700900001", TEST_KEY),)
    ]
    assert query(
        wh,
        "select attributes->>'asterisk_rings_unanswered', attributes->>'asterisk_transfer_to', _row "
        "from raw.acd_contacts where contact_id in ('c2', 'c3') and segment_id = '1' order by contact_id",
    ) == [("1", None, 8), ("0", "700@from-internal", 11)]  # _row: the ENTERQUEUE lines, 8 and 11

    # Line 23, an event Asterisk does not write, is quarantined with its file, line and name.
    assert query(wh, "select path, line, reason from raw._quarantine") == [
        (str(landing / "asterisk" / "queue_log"), 23, "unknown queue_log event FOOBAR")
    ]


def test_agent_states_from_membership_pauses_and_calls_worked_by_hand(home):
    landing, wh = _landing(home)
    load(landing, wh)
    rows = query(
        wh,
        "select agent_id, state, reason, started_at, ended_at from raw.agent_states "
        "order by agent_id, started_at",
    )
    assert rows == [
        # Logged in and added to both queues at 09:00:00 (three lines, one state).
        ("Agent/1001", "available", None, at(9, 0), at(9, 2, 12)),
        ("Agent/1001", "handling", None, at(9, 2, 12), at(9, 5, 12)),  # c1: CONNECT to COMPLETECALLER
        ("Agent/1001", "available", None, at(9, 5, 12), at(9, 10, 18)),
        ("Agent/1001", "handling", None, at(9, 10, 18), at(9, 14, 18)),  # c3 in billing
        ("Agent/1001", "available", None, at(9, 14, 18), at(9, 15)),
        # Paused mid-shift (PAUSE|Lunch on both queues) until UNPAUSE at 09:45.
        ("Agent/1001", "not_ready", "lunch", at(9, 15), at(9, 45)),
        ("Agent/1001", "available", None, at(9, 45), at(9, 50, 4)),
        ("Agent/1001", "handling", None, at(9, 50, 4), at(9, 51, 4)),  # c7, until its TRANSFER
        ("Agent/1001", "available", None, at(9, 51, 4), at(9, 53, 20)),
        ("Agent/1001", "logged_out", None, at(9, 53, 20), None),  # REMOVEMEMBER x2, AGENTLOGOFF
        ("Agent/1002", "available", None, at(9, 1), at(9, 8, 28)),  # the RINGNOANSWER changes nothing
        ("Agent/1002", "handling", None, at(9, 8, 28), at(9, 10, 8)),  # c3 until BLINDTRANSFER
        ("Agent/1002", "available", None, at(9, 10, 8), at(9, 46, 45)),
        ("Agent/1002", "handling", None, at(9, 46, 45), at(9, 48, 25)),  # c6 until ATTENDEDTRANSFER
        ("Agent/1002", "available", None, at(9, 48, 25), at(9, 51, 40)),
        ("Agent/1002", "logged_out", None, at(9, 51, 40), None),
        ("Agent/1003", "available", None, at(13, 59, day=11), at(14, 0, 7, day=11)),
        ("Agent/1003", "handling", None, at(14, 0, 7, day=11), at(14, 3, 7, day=11)),
        ("Agent/1003", "available", None, at(14, 3, 7, day=11), at(14, 30, day=11)),
        ("Agent/1003", "logged_out", None, at(14, 30, day=11), None),
    ]
    assert query(wh, "select distinct site_id, channel from raw.agent_states") == [("LON", "voice")]


def test_a_grown_log_is_derived_again_and_never_counted_twice(home):
    landing, wh = _landing(home)
    load(landing, wh)
    assert [f.status for f in load(landing, wh).files] == ["unchanged", "unchanged"]
    # The next export appends a call to the same file: the folder's rows are derived again.
    log = landing / "asterisk" / "queue_log"
    log.write_text(
        log.read_text() + "1773137000|c11|support|NONE|ENTERQUEUE||+447700900011|1\n"
        "1773137030|c11|support|NONE|ABANDON|1|1|30\n"
    )
    report = load(landing, wh)
    assert [(f.entity, f.status, f.rows) for f in report.files] == [
        ("acd_contacts", "replaced", 13),
        ("agent_states", "replaced", 20),
    ]
    assert query(wh, "select count(*), count(distinct (contact_id, segment_id)) from raw.acd_contacts") == [
        (13, 13)
    ]
    assert query(wh, "select count(*) from raw._quarantine") == [(1,)]
    # One manifest entry per file and entity; the grown log's earlier version is replaced.
    assert query(
        wh,
        "select entity, status, count(*) from raw._load_manifest group by all order by all",
    ) == [
        ("acd_contacts", "loaded", 2),
        ("acd_contacts", "replaced", 1),
        ("agent_states", "loaded", 2),
        ("agent_states", "replaced", 1),
    ]


def test_bad_lines_are_quarantined_with_file_line_and_reason(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(
        landing,
        "asterisk_queue_log",
        "queue_log-20260312",
        # 1: a call event with no ENTERQUEUE before it (its start is in an earlier export)
        "1773306000|c20|support|Agent/1001|COMPLETECALLER|5|60|1\n"
        # 2: not a queue_log line at all
        "garbage\n"
        # 3: a time that is not an epoch
        "2026-03-12 09:00|c21|support|NONE|ENTERQUEUE||+447700900021|1\n"
        # 4-6: a call with two end events: the second one is quarantined
        "1773306100|c22|support|NONE|ENTERQUEUE||+447700900022|1\n"
        "1773306110|c22|support|NONE|ABANDON|1|1|10\n"
        "1773306111|c22|support|NONE|EXITWITHTIMEOUT|1|1|11\n"
        # 7: a PAUSE without an agent
        "1773306200|NONE|support|NONE|PAUSE|Lunch\n",
    )
    (f, g) = load(landing, wh).files
    assert (f.entity, f.rows, f.quarantined, g.entity, g.rows) == ("acd_contacts", 1, 5, "agent_states", 0)
    assert query(wh, "select line, reason from raw._quarantine order by line") == [
        (1, "no ENTERQUEUE of call c20 before this event"),
        (2, "not a queue_log line (time|callid|queue|agent|event|data...)"),
        (3, "time is not a UNIX timestamp: 2026-03-12 09:00"),
        (6, "a second end event for the same queue segment of call c22"),
        (7, "PAUSE without an agent"),
    ]
    # c22 keeps its first end: abandoned after 10 s. No site or program declared: left empty.
    got = query(wh, "select contact_id, outcome, wait_seconds, site_id, program_id from raw.acd_contacts")
    assert got == [("c22", "abandoned", 10.0, None, None)]


def test_a_table_export_without_a_declared_zone_is_quarantined_not_guessed(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "asterisk", "queue_log_table.csv", TABLE_EXPORT)
    (f, g) = load(landing, wh).files
    assert (f.rows, f.quarantined, g.rows, g.quarantined) == (0, 1, 0, 4)
    # Lines 3 (the call's ENTERQUEUE) and 2-6 (the agent's states), each with the loader's reason.
    assert query(
        wh,
        "select entity, line, regexp_extract(reason, '^[a-z_]+: timestamp has no UTC offset') "
        "from raw._quarantine order by entity, line",
    ) == [
        ("acd_contacts", 3, "offered_at: timestamp has no UTC offset"),
        *(("agent_states", ln, "started_at: timestamp has no UTC offset") for ln in (2, 4, 5, 6)),
    ]
    assert {Path(p).name for (p,) in query(wh, "select path from raw._quarantine")} == {"queue_log_table.csv"}
