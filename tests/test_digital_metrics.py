"""Digital-assisted metrics, bot uptime, chat availability and cost per contact in
mart.metric_values through a real load and `dbt build`, on a hand-made centre whose every expected
value is worked out by hand from METRICS.md sections 2, 8 and 9."""

from __future__ import annotations

import pytest

from conftest import built_mart, csv_text, metric, write

# LON is Europe/London: GMT (= UTC) until Sunday 29 March 2026 01:00 UTC, then BST (UTC+1).
# The organisation's zone is UTC (the default). QC: chat, calendar CAL1 open 09:00-17:00 local
# every day (09-17 UTC on the 27th and 28th, 08-16 UTC on the 29th and 30th: 480 min a day).
# Q24: chat, no calendar, open 24x7 (the 29th has 23 hours: 1380 min). P1 and P2 belong to
# client C1 and are costed in GBP; P3 belongs to C2 and is costed in USD.

BOTS = [
    # id, program, started (UTC), contained, escalated, routed right, resolved, questions,
    # recognised, bot messages
    ("b1", "P1", "2026-03-27T10:00", "true", "false", "", "true", 2, 2, 5),
    ("b2", "P1", "2026-03-27T11:00", "false", "true", "true", "false", 3, 1, 7),
    ("b3", "P1", "2026-03-29T12:00", "false", "true", "false", "true", 1, 1, 3),
    ("b4", "P2", "2026-03-28T09:00", "true", "false", "", "true", 1, 0, 2),
    ("b5", "P3", "2026-03-30T15:00", "true", "false", "", "false", 2, 1, 4),
]
OUTAGES = [
    # id, system, program, queue, site, started (UTC), ended (UTC), impact
    # QC only: straddles QC's 09:00 opening on the 27th: 30 min lost
    ("oA", "chat", "", "QC", "", "2026-03-27T08:30", "2026-03-27T09:30", "full"),
    # the site, then every chat queue, overlapping: union 12:00-13:30 = 90 min on both queues
    ("oB", "chat", "", "", "LON", "2026-03-28T12:00", "2026-03-28T13:00", "full"),
    ("oC", "chat", "", "", "", "2026-03-28T12:30", "2026-03-28T13:30", "full"),
    # 19:00-20:00 BST on the 29th: QC is closed (0 min), Q24 loses 60 min
    ("oD", "chat", "", "", "", "2026-03-29T18:00", "2026-03-29T19:00", "full"),
    # degraded only: nothing lost
    ("oE", "chat", "P1", "", "", "2026-03-30T10:00", "2026-03-30T11:00", "partial"),
    # P1's bot, across the DST switch: 120 min of the 29th (bot days are UTC days)
    ("oF", "bot", "P1", "", "", "2026-03-29T00:30", "2026-03-29T02:30", "full"),
    # every bot, from 23:30 on the 30th (the last bot day): 30 min of the 30th
    ("oG", "bot", "", "", "", "2026-03-30T23:30", "2026-03-31T00:30", "full"),
]
CHATS = [
    # id, queue, requested (UTC), first human response, ended, agent
    ("k1", "QC", "2026-03-27T10:00", "2026-03-27T10:00:30", "2026-03-27T10:10", "A1"),  # handled
    ("k2", "Q24", "2026-03-27T12:00", "", "2026-03-27T12:02", ""),  # left unanswered
    ("k3", "QC", "2026-03-30T10:00", "2026-03-30T10:00:20", "2026-03-30T10:05", "A1"),  # handled
]


def ts(text):
    if not text:
        return ""
    return f"{text}+00:00" if text.count(":") == 2 else f"{text}:00+00:00"


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    home = tmp_path_factory.mktemp("digital") / "home"
    landing = home / "landing"
    write(landing, "sites", "sites.csv", csv_text("sites", [
        {"site_id": "LON", "time_zone": "Europe/London"},
    ]))  # fmt: skip
    write(landing, "programs", "programs.csv", csv_text("programs", [
        {"program_id": "P1", "client_id": "C1"},
        {"program_id": "P2", "client_id": "C1"},
        {"program_id": "P3", "client_id": "C2"},
    ]))  # fmt: skip
    write(landing, "queues", "queues.csv", csv_text("queues", [
        {"queue_id": "QC", "site_id": "LON", "program_id": "P1", "channel": "chat", "calendar_id": "CAL1"},
        {"queue_id": "Q24", "site_id": "LON", "program_id": "P1", "channel": "chat"},
        {"queue_id": "QV", "site_id": "LON", "program_id": "P1", "channel": "voice"},
        {"queue_id": "QT", "site_id": "LON", "program_id": "P1", "channel": "email"},
    ]))  # fmt: skip
    write(landing, "calendars", "calendars.csv", csv_text("calendars", [
        {"calendar_id": "CAL1", "weekday": d, "opens_at": "09:00:00", "closes_at": "17:00:00"}
        for d in range(1, 8)
    ]))  # fmt: skip
    write(landing, "bot_conversations", "bots.csv", csv_text("bot_conversations", [
        {"conversation_id": c, "program_id": p, "started_at": ts(at), "contained": k, "escalated": e,
         "escalated_correctly": r, "resolved": s, "questions": q, "questions_recognised": n,
         "bot_messages": m}
        for c, p, at, k, e, r, s, q, n, m in BOTS
    ]))  # fmt: skip
    write(landing, "system_outages", "outages.csv", csv_text("system_outages", [
        {"outage_id": o, "system": sy, "program_id": p, "queue_id": q, "site_id": s,
         "started_at": ts(a), "ended_at": ts(b), "impact": i}
        for o, sy, p, q, s, a, b, i in OUTAGES
    ]))  # fmt: skip
    write(landing, "chat_sessions", "chats.csv", csv_text("chat_sessions", [
        {"chat_id": c, "site_id": "LON", "program_id": "P1", "queue_id": q, "chat_type": "reactive",
         "requested_at": ts(req), "first_human_response_at": ts(fhr), "ended_at": ts(end),
         "agent_id": agent, "established": "true" if agent else "false",
         "end_reason": "agent_closed" if agent else "customer_left"}
        for c, q, req, fhr, end, agent in CHATS
    ]))  # fmt: skip
    write(landing, "acd_contacts", "calls.csv", csv_text("acd_contacts", [
        # one answered call (handled), one abandoned (not handled)
        {"contact_id": "v1", "segment_id": "1", "site_id": "LON", "program_id": "P1", "queue_id": "QV",
         "channel": "voice", "direction": "inbound", "offered_at": ts("2026-03-27T10:00"),
         "answered_at": ts("2026-03-27T10:00:10"), "ended_at": ts("2026-03-27T10:05"),
         "outcome": "answered", "wait_seconds": 10, "talk_seconds": 280, "agent_id": "A2"},
        {"contact_id": "v2", "segment_id": "1", "site_id": "LON", "program_id": "P1", "queue_id": "QV",
         "channel": "voice", "direction": "inbound", "offered_at": ts("2026-03-27T11:00"),
         "ended_at": ts("2026-03-27T11:01"), "abandoned": "true", "outcome": "abandoned",
         "wait_seconds": 60},
    ]))  # fmt: skip
    write(landing, "tickets", "tickets.csv", csv_text("tickets", [
        # one completed on the 28th (handled), one still open (not handled)
        {"ticket_id": "t1", "site_id": "LON", "program_id": "P1", "queue_id": "QT", "channel": "email",
         "received_at": ts("2026-03-27T09:00"), "completed_at": ts("2026-03-28T10:00"), "status": "solved"},
        {"ticket_id": "t2", "site_id": "LON", "program_id": "P1", "queue_id": "QT", "channel": "email",
         "received_at": ts("2026-03-27T09:30"), "status": "open"},
    ]))  # fmt: skip
    # A USD rate for May only: March's GBP and USD costs stay apart, May's are converted.
    write(landing, "exchange_rates", "rates.csv", csv_text("exchange_rates", [
        {"month": "2026-05-01", "currency": "USD", "reporting_currency": "GBP", "rate": 0.8},
    ]))  # fmt: skip
    write(landing, "program_costs", "costs.csv", csv_text("program_costs", [
        {"program_id": "P1", "month": "2026-03-01", "total_cost": 1200, "currency": "GBP"},
        {"program_id": "P2", "month": "2026-03-01", "total_cost": 300, "currency": "GBP"},
        {"program_id": "P3", "month": "2026-03-01", "total_cost": 500, "currency": "USD"},
        {"program_id": "P1", "month": "2026-04-01", "total_cost": 100, "currency": "GBP"},
        {"program_id": "P1", "month": "2026-05-01", "total_cost": 800, "currency": "GBP"},
        {"program_id": "P3", "month": "2026-05-01", "total_cost": 1000, "currency": "USD"},
    ]))  # fmt: skip
    yield from built_mart(home)


def parts(con, metric_id, level, unit, grain, start):
    row = metric(con, metric_id, level, unit, grain, start)
    return None if row is None else row[:2]


def test_bot_conversation_metrics_by_program_client_and_organisation(mart):
    # P1 in March: b1 contained; b2, b3 escalated (b2 routed right); b1, b3 resolved.
    assert parts(mart, "containment_rate", "program", "P1", "month", "2026-03-01") == (1, 3)
    assert parts(mart, "escalation_accuracy", "program", "P1", "month", "2026-03-01") == (1, 2)
    assert parts(mart, "digital_resolution_rate", "program", "P1", "month", "2026-03-01") == (2, 3)
    # questions recognised (2 + 1 + 1) of asked (2 + 3 + 1); messages (5 + 7 + 3) per conversation
    assert parts(mart, "recognition_rate", "program", "P1", "month", "2026-03-01") == (4, 6)
    assert metric(mart, "messages_per_conversation", "program", "P1", "month", "2026-03-01")[2] == 5
    # C1 = P1 + P2 (b4 contained): 2 of 4; the organisation adds P3 (b5 contained): 3 of 5.
    assert parts(mart, "containment_rate", "client", "C1", "month", "2026-03-01") == (2, 4)
    assert parts(mart, "containment_rate", "organisation", "organisation", "month", "2026-03-01") == (3, 5)
    # organisation: recognised 4 + 0 + 1 of 6 + 1 + 2; messages 15 + 2 + 4 over 5; resolved b1, b3, b4
    assert parts(mart, "recognition_rate", "organisation", "organisation", "month", "2026-03-01") == (5, 9)
    assert parts(
        mart, "messages_per_conversation", "organisation", "organisation", "month", "2026-03-01"
    ) == (
        21,
        5,
    )
    assert parts(mart, "digital_resolution_rate", "organisation", "organisation", "month", "2026-03-01") == (
        3,
        5,
    )
    # a day: P1 on the 27th (b1, b2): contained 1 of 2; nothing escalated on the 28th for P2:
    # a zero denominator, NULL with its reason
    assert parts(mart, "containment_rate", "program", "P1", "day", "2026-03-27") == (1, 2)
    assert metric(mart, "escalation_accuracy", "program", "P2", "day", "2026-03-28")[2:] == (
        None,
        False,
        "zero_denominator",
    )
    # bots have no site or queue
    sites = mart.execute(
        "select count(*) from mart.metric_values where metric_id = 'containment_rate' "
        "and unit_level not in ('program', 'client', 'organisation')"
    ).fetchone()[0]
    assert sites == 0


def test_system_uptime_of_each_programs_bot(mart):
    # P1: 27th and 28th whole; 29th loses oF's 120 min; 30th loses oG's 30 min (to midnight).
    assert parts(mart, "system_uptime", "program", "P1", "day", "2026-03-29") == (1320, 1440)
    assert parts(mart, "system_uptime", "program", "P1", "day", "2026-03-30") == (1410, 1440)
    assert parts(mart, "system_uptime", "program", "P1", "day", "2026-03-27") == (1440, 1440)
    # month: 4 days from its first conversation = 5760 min, 150 down
    assert parts(mart, "system_uptime", "program", "P1", "month", "2026-03-01") == (5610, 5760)
    # P2 in service from the 28th (3 days), P3 from the 30th; each loses oG's 30 min
    assert parts(mart, "system_uptime", "program", "P2", "month", "2026-03-01") == (4290, 4320)
    assert parts(mart, "system_uptime", "program", "P3", "month", "2026-03-01") == (1410, 1440)
    assert parts(mart, "system_uptime", "client", "C1", "month", "2026-03-01") == (9900, 10080)
    num, den, value, *_ = metric(mart, "system_uptime", "organisation", "organisation", "month", "2026-03-01")
    assert (num, den) == (11310, 11520) and value == pytest.approx(11310 / 11520)


def test_chat_availability_in_opening_hours(mart):
    # QC: oA straddles the opening (30 min), oB and oC overlap (union 90 min, not 120), oD is
    # after closing, oE is partial.
    assert parts(mart, "chat_availability", "queue", "QC", "day", "2026-03-27") == (450, 480)
    assert parts(mart, "chat_availability", "queue", "QC", "day", "2026-03-28") == (390, 480)
    assert parts(mart, "chat_availability", "queue", "QC", "day", "2026-03-29") == (480, 480)
    assert parts(mart, "chat_availability", "queue", "QC", "month", "2026-03-01") == (1800, 1920)
    # Q24 (24x7): the DST day has 1380 minutes, of which oD takes 60
    assert parts(mart, "chat_availability", "queue", "Q24", "day", "2026-03-29") == (1320, 1380)
    assert parts(mart, "chat_availability", "queue", "Q24", "day", "2026-03-28") == (1350, 1440)
    assert parts(mart, "chat_availability", "queue", "Q24", "month", "2026-03-01") == (5550, 5700)
    # the site sums the queues' minutes
    assert parts(mart, "chat_availability", "site", "LON", "day", "2026-03-29") == (1800, 1860)
    assert parts(mart, "chat_availability", "channel", "chat", "month", "2026-03-01") == (7350, 7620)
    # organisation (UTC days): Q24's local 30th starts at 23:00 UTC on the 29th, so the
    # organisation's 29th has Q24 1440 min (60 down) + QC 480 = 1860 of 1920
    assert parts(mart, "chat_availability", "organisation", "organisation", "day", "2026-03-29") == (
        1860,
        1920,
    )
    assert parts(mart, "chat_availability", "organisation", "organisation", "month", "2026-03-01") == (
        7350,
        7620,
    )


def test_cost_per_contact_months_and_currencies(mart):
    # P1 in March: 1 answered call + 2 handled chats + 1 completed ticket + 1 contained bot
    # conversation (b1) = 5 handled contacts; 1200 / 5 = 240 GBP.
    assert metric(mart, "cost_per_contact", "program", "P1", "month", "2026-03-01")[:3] == (1200, 5, 240)
    assert metric(mart, "cost_per_contact", "program", "P2", "month", "2026-03-01")[:3] == (300, 1, 300)
    assert metric(mart, "cost_per_contact", "client", "C1", "month", "2026-03-01")[:3] == (1500, 6, 250)
    assert metric(mart, "cost_per_contact", "client", "C2", "month", "2026-03-01")[:3] == (500, 1, 500)
    # GBP and USD are not added up without March's rate: no organisation row for March
    assert metric(mart, "cost_per_contact", "organisation", "organisation", "month", "2026-03-01") is None
    # April: only P1 (GBP) has a cost and nothing was handled: a row, NULL with its reason
    assert metric(mart, "cost_per_contact", "organisation", "organisation", "month", "2026-04-01") == (
        100,
        0,
        None,
        False,
        "zero_denominator",
    )
    # May: P1's 800 GBP plus P3's 1000 USD at 0.8 = 800 GBP; nothing handled in May
    assert metric(mart, "cost_per_contact", "organisation", "organisation", "month", "2026-05-01")[:2] == (
        1600,
        0,
    )
    # the client of P3 alone stays in its own currency
    assert metric(mart, "cost_per_contact", "client", "C2", "month", "2026-05-01")[:2] == (1000, 0)
    # month rows only
    days = mart.execute(
        "select count(*) from mart.metric_values "
        "where metric_id = 'cost_per_contact' and period_grain = 'day'"
    ).fetchone()[0]
    assert days == 0
