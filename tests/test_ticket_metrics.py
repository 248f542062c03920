"""Ticket metrics in mart.metric_values through a real load and `dbt build`, on a hand-made
centre whose every expected value is worked out by hand from METRICS.md section 3."""

from __future__ import annotations

import pytest

from conftest import built_mart, csv_text, metric, write

# LON is Europe/London (GMT until 2026-03-29 01:00 UTC, then BST). Q1 (email): 8 business hours
# on CAL1, Mon-Fri 09:00-17:00 local. Q2 (web): 24 calendar hours, no calendar.
TICKETS = [
    # ticket, queue, channel, received, due (export), first response, response due, completed
    # Tue 10:00 + 8 bh = 7 h Tue + 1 h Wed -> Wed 11th 10:00; done 09:30: on time
    ("t1", "Q1", "email", "2026-03-10T10:00", "", "2026-03-10T11:00", "2026-03-10T12:00",
     "2026-03-11T09:30"),
    # Fri 15:00 + 8 bh = 2 h Fri + 6 h Mon -> Mon 16th 15:00; done 16:00: late
    ("t2", "Q1", "email", "2026-03-13T15:00", "", "2026-03-13T16:00", "2026-03-13T15:30",
     "2026-03-16T16:00"),
    # Wed 20:00 (closed) -> Thu 12th 09:00 + 8 h = 17:00; done exactly at 17:00: on time
    ("t3", "Q1", "email", "2026-03-11T20:00", "", "", "", "2026-03-12T17:00"),
    # the export's due time (12:00) wins over the business-hours one (Thu 10:00): late
    ("t4", "Q1", "email", "2026-03-11T10:00", "2026-03-11T12:00", "", "", "2026-03-11T13:00"),
    # 24 calendar hours: due Wed 11th 12:00; never completed
    ("t5", "Q2", "web", "2026-03-10T12:00", "", "", "", ""),
    # due Wed 11th 08:00; solved Thu 12th 10:00: late, and in the backlog at the end of the 11th
    ("t6", "Q2", "web", "2026-03-10T08:00", "", "", "", "2026-03-12T10:00"),
    # due Tue 10th 09:00; solved 10th 08:00, reopened 11th 09:00, solved again 12th 11:00
    ("t7", "Q2", "web", "2026-03-09T09:00", "", "", "", "2026-03-12T11:00"),
    # Fri 27th 16:00 GMT + 8 bh = 1 h Fri + 7 h Mon 30th from 09:00 BST (08:00 UTC) -> 15:00 UTC
    ("t8", "Q1", "email", "2026-03-27T16:00", "", "", "", ""),
    # received 1 April: the run's last day, so March has its month-end snapshot
    ("t9", "Q2", "web", "2026-04-01T10:00", "", "", "", ""),
]  # fmt: skip
# Cases: K1 = t1 (due 11th 10:00) then t2, closed Mon 16th: late although t1 was on time.
# K2 = t3 alone, closed exactly at its due time. K3 = t4 and t5: t5 still open, not closed.
CASES = {"t1": "K1", "t2": "K1", "t3": "K2", "t4": "K3", "t5": "K3"}
# Handle time, where the ticketing system captured it (seconds); t2, t4 and t7 have none.
HANDLE = {"t1": 600, "t3": 900, "t6": 1200}
EVENTS = [
    ("t6", "2026-03-12T10:00", "open", "solved"),
    ("t7", "2026-03-10T08:00", "open", "solved"),
    ("t7", "2026-03-11T09:00", "solved", "open"),
    ("t7", "2026-03-12T11:00", "open", "solved"),
]


# Agent states on Wed 11 March (GMT = UTC). Only E1's email handling and after-contact work is
# productive ticket time of Q1 (LON, P1, email): 1 h + 0.5 h.
STATES = [
    ("E1", "handling", "email", "09:00", "10:00"),
    ("E1", "acw", "email", "10:00", "10:30"),
    ("E1", "available", "email", "10:30", "11:00"),  # idle: not productive
    ("E1", "handling", "voice", "11:00", "12:00"),  # not a ticket channel
    ("E2", "handling", "email", "13:00", "14:00"),  # no roster row: no program, no queue
    ("E3", "handling", "email", "13:00", "14:00"),  # left on the 5th: no assignment that day
]


def ts(text):
    return f"{text}:00+00:00" if text else ""


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    home = tmp_path_factory.mktemp("tickets") / "home"
    landing = home / "landing"
    write(landing, "sites", "sites.csv", csv_text("sites", [
        {"site_id": "LON", "time_zone": "Europe/London"},
    ]))  # fmt: skip
    write(landing, "programs", "programs.csv", csv_text("programs", [
        {"program_id": "P1", "client_id": "C1"},
    ]))  # fmt: skip
    write(landing, "queues", "queues.csv", csv_text("queues", [
        {"queue_id": "Q1", "site_id": "LON", "program_id": "P1", "channel": "email",
         "cycle_time_hours": 8, "calendar_id": "CAL1"},
        {"queue_id": "Q2", "site_id": "LON", "program_id": "P1", "channel": "web",
         "cycle_time_hours": 24},
    ]))  # fmt: skip
    write(landing, "calendars", "calendars.csv", csv_text("calendars", [
        {"calendar_id": "CAL1", "weekday": d, "opens_at": "09:00:00", "closes_at": "17:00:00"}
        for d in range(1, 6)
    ]))  # fmt: skip
    write(landing, "holidays", "holidays.csv", csv_text("holidays", [
        {"calendar_id": "CAL1", "date": "2026-04-03"},
    ]))  # fmt: skip
    rows = [
        {
            "ticket_id": t, "case_id": CASES.get(t, ""), "site_id": "LON", "program_id": "P1", "queue_id": q,
            "channel": channel, "received_at": ts(rec), "due_at": ts(due),
            "first_response_at": ts(resp), "response_due_at": ts(resp_due),
            "completed_at": ts(done), "status": "solved" if done else "open",
            "handle_seconds": HANDLE.get(t, ""),
        }
        for t, q, channel, rec, due, resp, resp_due, done in TICKETS
    ]  # fmt: skip
    write(landing, "tickets", "tickets.csv", csv_text("tickets", rows))
    events = [
        {"ticket_id": t, "event_at": ts(at), "status_from": a, "status_to": b} for t, at, a, b in EVENTS
    ]
    write(landing, "ticket_events", "events.csv", csv_text("ticket_events", events))
    write(landing, "staff_roster", "roster.csv", csv_text("staff_roster", [
        {"employee_id": "E1", "site_id": "LON", "program_id": "P1", "role": "css",
         "hired_at": "2026-01-05"},
        {"employee_id": "E3", "site_id": "LON", "program_id": "P1", "role": "css",
         "hired_at": "2026-01-05", "separated_at": "2026-03-05", "separation_type": "voluntary"},
    ]))  # fmt: skip
    write(landing, "agent_states", "states.csv", csv_text("agent_states", [
        {"agent_id": a, "site_id": "LON", "state": state, "channel": channel,
         "started_at": ts(f"2026-03-11T{t0}"), "ended_at": ts(f"2026-03-11T{t1}")}
        for a, state, channel, t0, t1 in STATES
    ]))  # fmt: skip
    yield from built_mart(home)


def test_received_by_local_day_and_month(mart):
    # 10th: t1, t5, t6; 11th: t3 (20:00 GMT), t4; March: t1-t8.
    assert metric(mart, "ticket_received", "site", "LON", "day", "2026-03-10")[2] == 3
    assert metric(mart, "ticket_received", "site", "LON", "day", "2026-03-11")[2] == 2
    assert metric(mart, "ticket_received", "site", "LON", "month", "2026-03-01")[2] == 8
    assert metric(mart, "ticket_received", "channel", "email", "month", "2026-03-01")[2] == 5


def test_timeliness_against_business_hours_and_export_due_times(mart):
    # Q1 on the 11th: t1 on time, t4 late against the export's due time.
    assert metric(mart, "ticket_timeliness", "queue", "Q1", "day", "2026-03-11")[:3] == (1, 2, 0.5)
    # Q1 on the 12th: t3 done exactly at its due time.
    assert metric(mart, "ticket_timeliness", "queue", "Q1", "day", "2026-03-12")[:3] == (1, 1, 1)
    # Q1 on the 16th: t2 due Mon 15:00 across the weekend, done 16:00.
    assert metric(mart, "ticket_timeliness", "queue", "Q1", "day", "2026-03-16")[:3] == (0, 1, 0)
    # March: Q1 2 of 4; the site 2 of 6 completed (t1-t4, t6, t7; t6 and t7 late on Q2).
    assert metric(mart, "ticket_timeliness", "queue", "Q1", "month", "2026-03-01")[:3] == (2, 4, 0.5)
    num, den, value, *_ = metric(mart, "ticket_timeliness", "site", "LON", "month", "2026-03-01")
    assert (num, den) == (2, 6) and value == pytest.approx(2 / 6)
    num, den, *_ = metric(mart, "ticket_timeliness", "organisation", "organisation", "month", "2026-03-01")
    assert (num, den) == (2, 6)


def test_first_response_timeliness(mart):
    # t1 answered by its response due time, t2 half an hour after: 1 of 2.
    assert metric(mart, "ticket_first_response_timeliness", "client", "C1", "month", "2026-03-01")[:3] == (
        1,
        2,
        0.5,
    )


def test_reopen_rate_counts_an_item_once_on_its_first_solve(mart):
    # t7 was first solved Tue 10th 08:00 GMT (= local), reopened 11th 09:00 (25 h later, within
    # 14 days), solved again 12th 11:00: it is counted on the 10th, its first solve, as 1 of 1.
    assert metric(mart, "ticket_reopen_rate", "queue", "Q2", "day", "2026-03-10")[:3] == (1, 1, 1)
    # Q2 on the 12th: only t6's first (and only) solve, not reopened; t7's second solve is not
    # counted again.
    assert metric(mart, "ticket_reopen_rate", "queue", "Q2", "day", "2026-03-12")[:3] == (0, 1, 0)
    # Timeliness still judges t7 on its final completion, the 12th: t6 and t7, both late.
    assert metric(mart, "ticket_timeliness", "queue", "Q2", "day", "2026-03-12")[:3] == (0, 2, 0)
    # March: first solves of t1 (11th), t2 (16th), t3 (12th), t4 (11th), t6 (12th), t7 (10th),
    # one of them (t7) reopened.
    num, den, *_ = metric(mart, "ticket_reopen_rate", "program", "P1", "month", "2026-03-01")
    assert (num, den) == (1, 6)


def test_backlog_is_point_in_time(mart):
    # End of the 11th (12th 00:00 UTC) on Q2: t5 (12 h late), t6 (solved only on the 12th,
    # 16 h late) and t7 (reopened on the 11th, 39 h late): 3 items, (12 + 16 + 39) / 3 h.
    assert metric(mart, "ticket_backlog_count", "queue", "Q2", "day", "2026-03-11")[2] == 3
    num, den, value, *_ = metric(mart, "ticket_backlog_avg_lateness", "queue", "Q2", "day", "2026-03-11")
    assert (num, den) == (67, 3) and value == pytest.approx(67 / 3)
    # End of the 12th: t6 and t7 solved, t5 still open (36 h late).
    assert metric(mart, "ticket_backlog_avg_lateness", "queue", "Q2", "day", "2026-03-12")[:3] == (36, 1, 36)


def test_backlog_across_the_dst_change_and_the_month_end_snapshot(mart):
    # t8 (Q1, on CAL1) due Mon 30th 15:00 UTC; the end of the 30th in BST is 23:00 UTC, and
    # its lateness counts the calendar's open hours only: 15:00-16:00 UTC, 1 business hour.
    assert metric(mart, "ticket_backlog_avg_lateness", "queue", "Q1", "day", "2026-03-30")[:3] == (1, 1, 1)
    # March's month row is the snapshot at the end of the 31st (23:00 UTC), not a sum of days:
    # t8 1 + 8 business hours late; t5 (Q2, no calendar, due 11th 12:00) 20 days 11 h = 491 h.
    assert metric(mart, "ticket_backlog_count", "site", "LON", "month", "2026-03-01")[2] == 2
    assert metric(mart, "ticket_backlog_avg_lateness", "site", "LON", "month", "2026-03-01")[:3] == (
        500,
        2,
        250,
    )


def test_case_end_to_end_timeliness(mart):
    # Closed cases at their first item's queue Q1: K2 on the 12th on time, K1 on the 16th late.
    assert metric(mart, "case_end_to_end_timeliness", "queue", "Q1", "day", "2026-03-12")[:3] == (1, 1, 1)
    assert metric(mart, "case_end_to_end_timeliness", "queue", "Q1", "day", "2026-03-16")[:3] == (0, 1, 0)
    assert metric(mart, "case_end_to_end_timeliness", "site", "LON", "month", "2026-03-01")[:3] == (
        1,
        2,
        0.5,
    )


def test_items_per_productive_hour(mart):
    # Q1 on the 11th: t1 and t4 completed over E1's 1.5 productive hours.
    num, den, value, *_ = metric(mart, "ticket_items_per_hour", "queue", "Q1", "day", "2026-03-11")
    assert (num, den) == (2, 1.5) and value == pytest.approx(2 / 1.5)
    # March: Q1 completed t1-t4 over the same 1.5 hours.
    num, den, value, *_ = metric(mart, "ticket_items_per_hour", "queue", "Q1", "month", "2026-03-01")
    assert (num, den) == (4, 1.5) and value == pytest.approx(4 / 1.5)
    # Q2 (web) has no productive time captured: NULL with the reason, never infinite.
    assert metric(mart, "ticket_items_per_hour", "queue", "Q2", "day", "2026-03-12") == (
        2, 0, None, False, "zero_denominator"
    )  # fmt: skip


def test_no_value_is_null_without_a_reason(mart):
    assert mart.execute(
        "select count(*) from mart.metric_values where value is null and not_countable_reason is null"
    ).fetchone() == (0,)


def test_ticket_aht_where_handle_time_is_captured(mart):
    # Q1 in March: completed t1 (600 s), t2 (none), t3 (900 s), t4 (none): 1,500 s over the 2 items
    # with a handle time. The site adds t6 (1,200 s) and t7 (none) of Q2: 2,700 s over 3.
    assert metric(mart, "ticket_aht", "queue", "Q1", "month", "2026-03-01")[:3] == (1500, 2, 750)
    assert metric(mart, "ticket_aht", "site", "LON", "month", "2026-03-01")[:3] == (2700, 3, 900)
    # Q2 on the 12th: t6 and t7 completed, only t6 with a handle time.
    assert metric(mart, "ticket_aht", "queue", "Q2", "day", "2026-03-12")[:3] == (1200, 1, 1200)
    # a day when nothing with a handle time was completed: no rate, said why
    none = metric(mart, "ticket_aht", "queue", "Q1", "day", "2026-03-16")
    assert none[2:] == (None, False, "zero_denominator")


def test_a_warehouse_made_before_handle_seconds_gets_the_column(tmp_path):
    import duckdb

    from cxmart.connectors import schema
    from cxmart.connectors.loader import ensure_raw_schema

    wh = tmp_path / "old.duckdb"
    con = duckdb.connect(str(wh))
    try:
        tickets = schema.entity("tickets")
        old = [c for c in tickets.columns if c.name != "handle_seconds"]
        con.execute("create schema raw")
        con.execute(f"create table raw.tickets ({', '.join(f'{c.name} {c.type}' for c in old)})")
        ensure_raw_schema(con)
        columns = [r[0] for r in con.execute("describe raw.tickets").fetchall()]
    finally:
        con.close()
    assert "handle_seconds" in columns
