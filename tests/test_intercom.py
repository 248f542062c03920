"""Intercom reader: the Fivetran Intercom tables of ../shared/realdata/fivetran_intercom_seeds read in
place, counted by hand from the CSV files; and hand-made conversations for what the sample lacks
(bot and teammate replies, proactive messages, unknown part and author types)."""

from __future__ import annotations

import datetime as dt

import pytest
from vendor_samples import INTERCOM, link_sample

from conftest import load, query, write


def t(*a) -> dt.datetime:
    return dt.datetime(*a, tzinfo=dt.UTC)


@pytest.fixture
def sample(home):
    if not (INTERCOM / "conversation_history_data.csv").exists():
        pytest.skip("real Intercom sample not available")
    landing = home / "landing"
    link_sample(INTERCOM, landing, "intercom")
    (landing / "sources.yml").write_text("intercom:\n  time_zone: UTC\n  program_id: APP\n")
    return landing, home / "warehouse.duckdb"


def test_sample_counts_worked_out_from_the_csv_files(sample):
    landing, wh = sample
    (sessions, messages) = load(landing, wh).files
    # conversation_history_data.csv: 9 versions of 2 conversations (cut -d, -f1 | sort -u):
    # 156643300001311 (3 versions, the active one closed at 2020-11-02 14:17:59) and
    # 156643300001372 (6 versions, active one closed at 2020-11-06 13:55:01); both
    # customer_initiated by a user, assigned to admin 4077639, whose team is 123456
    # (team_admin_data.csv). conversation_part_history_data.csv: 9 parts, of conversations 5, 11,
    # 12, 13 and 27: none of these two, so no teammate reply: 2 chats, 0 first replies (and so no
    # established dialog), one message each (the opening message, by the customer).
    assert (sessions.rows, sessions.quarantined, messages.rows, messages.quarantined) == (2, 0, 2, 0)
    assert query(
        wh,
        "select chat_id, queue_id, program_id, chat_type, requested_at, first_human_response_at, ended_at, "
        "agent_id from raw.chat_sessions order by chat_id",
    ) == [
        ("156643300001311", "123456", "APP", "reactive", t(2020, 10, 28, 23, 59, 37), None,
         t(2020, 11, 2, 14, 17, 59), "4077639"),
        ("156643300001372", "123456", "APP", "reactive", t(2020, 11, 4, 3, 12, 3), None,
         t(2020, 11, 6, 13, 55, 1), "4077639"),
    ]  # fmt: skip
    assert query(wh, "select count(*) from raw.chat_messages where sender = 'customer'") == [(2,)]
    assert query(wh, "select count(*), min(line), max(line) from raw._excluded") == [(9, 2, 10)]


HISTORY = (
    "id,updated_at,created_at,state,source_delivered_as,source_author_type,source_author_id,assignee_type,"
    "assignee_id,_fivetran_active\n"
    """A,2026-03-10 10:00:00,2026-03-10 10:00:00,open,customer_initiated,user,C1,admin,ADM1,false
A,2026-03-10 10:10:00,2026-03-10 10:00:00,closed,customer_initiated,user,C1,admin,ADM1,true
B,2026-03-10 11:30:00,2026-03-10 11:00:00,closed,admin_initiated,admin,ADM1,admin,ADM1,true
C,2026-03-10 12:30:00,2026-03-10 12:00:00,closed,customer_initiated,lead,C3,team,T9,true
D,2026-03-10 13:00:00,2026-03-10 13:00:00,open,customer_initiated,user,C4,nobody_admin,,true
"""
)
PARTS = """id,conversation_id,created_at,part_type,author_type,author_id,body
p1,A,2026-03-10 10:00:05,comment,bot,OP,Hi! I am a bot.
p2,A,2026-03-10 10:01:00,assignment,admin,ADM1,
p3,A,2026-03-10 10:02:00,comment,admin,ADM1,"Hello, how can I help?"
p4,A,2026-03-10 10:03:00,comment,user,C1,My order is late.
p5,A,2026-03-10 10:04:00,note,admin,ADM1,Check the courier.
p6,A,2026-03-10 10:10:00,close,admin,ADM1,
p7,B,2026-03-10 11:05:00,comment,user,C2,Yes please.
p8,B,2026-03-10 11:06:00,comment,admin,ADM1,"Great, here you are."
p9,C,2026-03-10 12:00:10,comment,bot,OP,We will get back to you.
p10,C,2026-03-10 12:30:00,close,bot,OP,
p11,A,2026-03-10 10:05:00,telepathy,admin,ADM1,
p12,A,2026-03-10 10:06:00,comment,alien,X,
p13,Z,2026-03-10 10:07:00,comment,user,C9,Anyone?
"""
TEAMS = """admin_id,team_id
ADM1,T1
"""
SOURCES = """
intercom:
  time_zone: UTC
  queues:
    T1: {queue_id: CHAT-SUPPORT, program_id: APP}
    T9: {queue_id: CHAT-SALES, program_id: APP}
"""


def test_hand_made_conversations_worked_by_hand(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "intercom", "conversation_history.csv", HISTORY)
    write(landing, "intercom", "conversation_part_history.csv", PARTS)
    write(landing, "intercom", "team_admin.csv", TEAMS)
    (landing / "sources.yml").write_text(SOURCES)
    (sessions, messages) = load(landing, wh).files
    # D is assigned to nobody and in no team, and no default queue is declared: quarantined.
    assert (sessions.rows, sessions.quarantined) == (3, 1)
    assert query(
        wh,
        "select chat_id, queue_id, chat_type, invited_at, requested_at, first_human_response_at, "
        "customer_replied_at, ended_at, end_reason, agent_id from raw.chat_sessions order by chat_id",
    ) == [
        # A: the bot's greeting (p1) and the assignment without a body (p2) are not a human response;
        # ADM1's comment p3 is; the user writes back (p4); ADM1 closes it (p6). ADM1 is in team T1.
        ("A", "CHAT-SUPPORT", "reactive", None, t(2026, 3, 10, 10), t(2026, 3, 10, 10, 2),
         t(2026, 3, 10, 10, 3), t(2026, 3, 10, 10, 10), "agent_closed", "ADM1"),
        # B: ADM1 wrote first (admin_initiated, 11:00): an invitation, accepted when the user replies
        # at 11:05; answered at 11:06; closed without a close part: the version's updated_at.
        ("B", "CHAT-SUPPORT", "proactive", t(2026, 3, 10, 11), t(2026, 3, 10, 11, 5), t(2026, 3, 10, 11, 6),
         None, t(2026, 3, 10, 11, 30), None, "ADM1"),
        # C: only a bot answered and a bot closed it: no human response.
        ("C", "CHAT-SALES", "reactive", None, t(2026, 3, 10, 12), None, None, t(2026, 3, 10, 12, 30), None,
         None),
    ]  # fmt: skip
    assert query(wh, "select chat_id, sender, sent_at from raw.chat_messages order by sent_at") == [
        ("A", "customer", t(2026, 3, 10, 10)),  # the opening message
        ("A", "bot", t(2026, 3, 10, 10, 0, 5)),
        ("A", "agent", t(2026, 3, 10, 10, 2)),
        ("A", "customer", t(2026, 3, 10, 10, 3)),
        ("B", "system", t(2026, 3, 10, 11)),  # the invitation: not a response
        ("B", "customer", t(2026, 3, 10, 11, 5)),
        ("B", "agent", t(2026, 3, 10, 11, 6)),
        ("C", "customer", t(2026, 3, 10, 12)),
        ("C", "bot", t(2026, 3, 10, 12, 0, 10)),
        ("D", "customer", t(2026, 3, 10, 13)),
    ]
    assert query(wh, "select entity, line, reason from raw._quarantine order by entity, line") == [
        ("chat_messages", 12, "unknown Intercom part_type telepathy"),
        ("chat_messages", 13, "unknown Intercom author_type alien"),
        (
            "chat_sessions",
            6,
            "conversation in no team: declare intercom.queue_id (or the team under queues); "
            "queue_id: required value missing",
        ),
    ]
    assert query(wh, "select entity, line, reason from raw._excluded") == [
        ("chat_messages", 14, "part of conversation Z, which is not in conversation_history")
    ]
