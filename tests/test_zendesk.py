"""Zendesk reader: the Fivetran Zendesk Support tables of ../shared/realdata/zendesk_fivetran_seeds read
in place, counts made by hand from the CSV files; and hand-made tables for what the sample lacks (a
first agent reply, a business-hours SLA target, reassignment, a reopen, unknown values)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from vendor_samples import ZENDESK, link_sample

from cxmart.connectors.loader import Loader

from conftest import TEST_KEY, load, query, write

UTC = dt.UTC


@pytest.fixture
def sample(home):
    if not (ZENDESK / "ticket_data.csv").exists():
        pytest.skip("real Zendesk sample not available")
    landing = home / "landing"
    link_sample(ZENDESK, landing, "zendesk")
    (landing / "sources.yml").write_text(
        "zendesk:\n  time_zone: UTC  # Fivetran lands UTC\n  program_id: HELP\n"
    )
    return landing, home / "warehouse.duckdb"


def test_sample_counts_worked_out_from_the_csv_files(sample):
    landing, wh = sample
    report = load(landing, wh)
    got = {f.entity: (f.rows, f.quarantined) for f in report.files}
    # python3 -c "import csv,collections; print(collections.Counter(r['status'] for r in
    #   csv.DictReader(open('ticket_data.csv'))))"  -> closed 7, deleted 2, solved 1: 10 tickets,
    #   8 that are not deleted, all 8 solved or closed.
    # ticket_field_history_data.csv: 30 status rows, 13 of ticket 11071 (the only one of them in
    #   ticket_data.csv), 17 of tickets the export does not hold (27 distinct: 102's change thrice).
    # schedule_data.csv: 5 intervals of schedule 360000310393; schedule_holiday_data.csv: 26-27 and
    #   29 December 2022 of schedule 360000, three days.
    assert got == {"calendars": (5, 0), "holidays": (3, 0), "tickets": (8, 0), "ticket_events": (13, 0)}
    excluded = query(
        wh,
        "select entity, regexp_replace(reason, 'ticket [0-9]+,', 'ticket N,'), count(*) from raw._excluded "
        "group by all order by all",
    )
    assert excluded == [
        ("ticket_events", "status change of ticket N, which is not in the ticket table", 14),
        ("ticket_events", "the same status change as an earlier line", 3),
        ("tickets", "ticket deleted in Zendesk", 2),
    ]
    assert query(
        wh,
        "select count(*), count(completed_at), count(first_response_at), count(distinct queue_id) "
        "from raw.tickets",
    ) == [(8, 8, 0, 2)]
    # First replies: the 20 comments of ticket_comment_data.csv are on tickets 1077, 7367, 7636,
    # 13057, 13095, 13628 and 14352, none of them in ticket_data.csv (and their authors are not
    # in user_data.csv): no ticket of the export has a first agent reply. Transfers: the history
    # holds no group_id change, so every event keeps the ticket's own group.
    # Ticket 11071 (line 5): created 2020-08-28 18:06:36, SLA policy 1002 applied then; its
    # priority then was `normal` (history: normal at 11:01:27 that day, medium only on 30
    # September); policy 1002's first_reply_time target for normal is 960 calendar minutes
    # (business_hours FALSE): due 2020-08-29 10:06:36. Solved 2020-11-14 11:01:27 (history).
    assert query(
        wh,
        "select ticket_id, channel, priority, received_at, response_due_at, completed_at, status, queue_id, "
        "attributes->>'zendesk_completed_at_from' from raw.tickets where ticket_id in ('11071', '16988') "
        "order by ticket_id",
    ) == [
        ("11071", "email", "urgent", dt.datetime(2020, 8, 28, 18, 6, 36, tzinfo=UTC),
         dt.datetime(2020, 8, 29, 10, 6, 36, tzinfo=UTC), dt.datetime(2020, 11, 14, 11, 1, 27, tzinfo=UTC),
         "closed", "360006965034", None),
        # 16988 is solved with no status history: completed at its last update, and marked so.
        ("16988", "email", None, dt.datetime(2020, 12, 22, 0, 19, 23, tzinfo=UTC), None,
         dt.datetime(2021, 1, 13, 18, 42, 39, tzinfo=UTC), "solved", "360013366274", "updated_at"),
    ]  # fmt: skip
    # The 13 status changes of 11071 in order, each from the one before.
    events = query(wh, "select status_from, status_to from raw.ticket_events order by event_at")
    assert [to for _, to in events] == [
        "open", "pending", "on-hold", "pending", "open", "pending", "on-hold", "open", "on-hold", "pending",
        "open", "solved", "closed",
    ]  # fmt: skip
    assert events[0][0] is None and all(a[1] == b[0] for a, b in zip(events, events[1:], strict=False))
    # schedule 360000310393: 1920-2640 minutes of the week = Monday 08:00-20:00 ... Friday.
    assert query(wh, "select weekday, opens_at, closes_at from raw.calendars order by weekday") == [
        (d, dt.time(8), dt.time(20)) for d in range(1, 6)
    ]
    assert [f.status for f in load(landing, wh).files] == ["unchanged"] * 4


TICKET = """id,created_at,updated_at,status,priority,group_id,assignee_id,requester_id,via_channel,due_at
Z1,2020-05-16 02:00:00,2020-05-26 09:00:00,solved,high,G1,U2,U1,email,
Z2,2020-05-16 03:00:00,2020-05-16 03:10:00,solved,normal,G1,U2,U1,chat,
Z3,2020-05-16 04:00:00,2020-05-16 04:00:00,archived,normal,G1,,U1,email,
Z4,2020-05-16 05:00:00,2020-05-16 05:00:00,open,normal,G1,,U1,pigeon,
"""
USER = """id,role,name
U1,end-user,Ann Customer
U2,agent,Bob Agent
"""
COMMENT = """id,ticket_id,user_id,created,public
1,Z1,U1,2020-05-16 02:00:00,TRUE
2,Z1,U2,2020-05-16 02:30:00,FALSE
3,Z1,U2,2020-05-18 17:00:00,TRUE
"""
HISTORY = """field_name,ticket_id,updated,value
status,Z1,2020-05-16 02:00:00,new
group_id,Z1,2020-05-16 02:00:00,G1
status,Z1,2020-05-18 17:00:00,open
status,Z1,2020-05-19 10:00:00,solved
group_id,Z1,2020-05-20 09:00:00,G2
status,Z1,2020-05-20 09:00:00,open
status,Z1,2020-05-21 09:00:00,solved
priority,Z1,2020-05-16 02:00:00,high
360011111111,Z1,2020-05-19 10:00:00,600
360011111111,Z1,2020-05-21 09:00:00,900
"""
SLA = """ticket_id,sla_policy_id,policy_applied_at
Z1,P1,2020-05-16 02:00:00
"""
METRIC = """sla_policy_id,index,sla_policy_updated_at,business_hours,metric,priority,target
P1,0,2020-01-01 00:00:00,TRUE,first_reply_time,high,240
P1,1,2020-06-01 00:00:00,TRUE,first_reply_time,high,180
"""
SCHEDULE = """id,start_time,end_time,time_zone,name
S1,1920,2640,Pacific Time (US & Canada),Support
S1,3360,4080,Pacific Time (US & Canada),Support
S1,4800,5520,Pacific Time (US & Canada),Support
S1,6240,6960,Pacific Time (US & Canada),Support
S1,7680,8400,Pacific Time (US & Canada),Support
"""
HOLIDAY = """id,schedule_id,start_date,end_date,name
H1,S1,2020-05-18,2020-05-18,Test holiday
"""
HAND_SOURCES = """
zendesk:
  time_zone: UTC
  time_spent_field: "360011111111"  # the Time Tracking app's "Total time spent (sec)"
  site_id: SFO
  queues:
    G1: {queue_id: SUPPORT, program_id: HELP}
    G2: {queue_id: BILLING, program_id: HELP}
"""


def test_hand_made_tables_worked_by_hand(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    for name, text in [
        ("ticket.csv", TICKET), ("user.csv", USER), ("ticket_comment.csv", COMMENT),
        ("ticket_field_history.csv", HISTORY), ("ticket_sla_policy.csv", SLA),
        ("sla_policy_metric_history.csv", METRIC), ("schedule.csv", SCHEDULE),
        ("schedule_holiday.csv", HOLIDAY),
    ]:  # fmt: skip
        write(landing, "zendesk", name, text)
    (landing / "sources.yml").write_text(HAND_SOURCES)
    got = {f.entity: (f.rows, f.quarantined) for f in load(landing, wh).files}
    assert got == {"calendars": (5, 0), "holidays": (1, 0), "tickets": (1, 2), "ticket_events": (5, 0)}
    row = query(
        wh,
        "select ticket_id, site_id, program_id, queue_id, channel, received_at, first_response_at, "
        "response_due_at, completed_at, handle_seconds from raw.tickets",
    )
    # Z1 arrives Friday 15 May 2020 19:00 PDT (02:00 UTC on the 16th). Policy P1's target for high
    # in force then is 240 business minutes of S1 (Mon-Fri 08:00-20:00 Pacific): 60 on Friday
    # (19:00-20:00), Monday the 18th is a holiday, 180 more on Tuesday from 08:00: due Tuesday
    # 11:00 PDT = 18:00 UTC. The first public agent comment (the request itself and the private
    # note do not count) is on Monday 17:00 UTC. Solved twice: completed at the last solve. The
    # total time spent field reads 600 s at the first solve, 900 s at the last: 900 s handled.
    assert row == [
        ("Z1", "SFO", "HELP", "SUPPORT", "email", dt.datetime(2020, 5, 16, 2, tzinfo=UTC),
         dt.datetime(2020, 5, 18, 17, tzinfo=UTC), dt.datetime(2020, 5, 19, 18, tzinfo=UTC),
         dt.datetime(2020, 5, 21, 9, tzinfo=UTC), 900.0),
    ]  # fmt: skip
    # The reopen on the 20th comes with a move to group G2 (BILLING): events carry the group then.
    assert query(
        wh, "select event_at, status_from, status_to, queue_id, assignee_id from raw.ticket_events order by 1"
    ) == [
        (dt.datetime(2020, 5, 16, 2, tzinfo=UTC), None, "new", "SUPPORT", "U2"),
        (dt.datetime(2020, 5, 18, 17, tzinfo=UTC), "new", "open", "SUPPORT", "U2"),
        (dt.datetime(2020, 5, 19, 10, tzinfo=UTC), "open", "solved", "SUPPORT", "U2"),
        (dt.datetime(2020, 5, 20, 9, tzinfo=UTC), "solved", "open", "BILLING", "U2"),
        (dt.datetime(2020, 5, 21, 9, tzinfo=UTC), "open", "solved", "BILLING", "U2"),
    ]
    # Z2 records a chat (counted by the chat source): not a ticket row; Z3 and Z4 carry values
    # Zendesk does not have: quarantined with their lines.
    assert query(wh, "select entity, line, reason from raw._excluded") == [
        ("tickets", 3, "ticket created from a live chat contact (counted by its ACD or chat source): "
         "declare zendesk.channels to read it"),
    ]  # fmt: skip
    assert query(wh, "select line, reason from raw._quarantine order by line") == [
        (4, "unknown Zendesk status archived"),
        (5, "unknown via_channel pigeon: declare zendesk.channels"),
    ]
    assert query(wh, "select attributes->>'zendesk_iana_zone' from raw.calendars limit 1") == [
        ("America/Los_Angeles",)
    ]


def test_a_schedule_in_an_unknown_zone_is_quarantined_until_declared(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "zendesk", "ticket.csv", TICKET.splitlines()[0] + "\n")
    middle_earth = SCHEDULE.replace("Pacific Time (US & Canada)", "Middle Earth")
    write(landing, "zendesk", "schedule.csv", middle_earth)
    (landing / "sources.yml").write_text("zendesk:\n  time_zone: UTC\n")
    got = {f.entity: (f.rows, f.quarantined) for f in load(landing, wh).files}
    assert got["calendars"] == (0, 5)
    assert query(wh, "select distinct reason from raw._quarantine") == [
        ("time zone Middle Earth of schedule S1 is not known: declare zendesk.time_zones",)
    ]
    # Declaring the zone reads the folder again, though no file changed.
    (landing / "sources.yml").write_text(
        "zendesk:\n  time_zone: UTC\n  time_zones: {Middle Earth: Europe/Dublin}\n"
    )
    got = {f.entity: (f.status, f.rows, f.quarantined) for f in load(landing, wh).files}
    assert got["calendars"] == ("loaded", 5, 0)
    assert query(wh, "select count(*) from raw._quarantine") == [(0,)]
    assert [f.status for f in load(landing, wh).files] == ["unchanged"] * 4


def test_an_airflow_family_loads_only_its_own_entities_of_the_folder(home):
    """The DAG loads reference data first, then each source family: the Zendesk folder gives
    calendars and holidays (reference) and tickets and their events (ticketing)."""
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "zendesk", "ticket.csv", TICKET)
    write(landing, "zendesk", "schedule.csv", SCHEDULE)
    (landing / "sources.yml").write_text(HAND_SOURCES)
    con = duckdb.connect(str(wh))
    try:
        reference = Loader(
            con, str(landing), TEST_KEY, entities=["sites", "calendars", "holidays"]
        ).load_all()
        assert [(f.entity, f.status, f.rows) for f in reference.files] == [
            ("calendars", "loaded", 5), ("holidays", "loaded", 0)
        ]  # fmt: skip
        assert con.execute("select count(*) from raw.tickets").fetchone() == (0,)
        ticketing = Loader(con, str(landing), TEST_KEY, entities=["tickets", "ticket_events"])
        ticketing = ticketing.load_all()
        assert [(f.entity, f.status) for f in ticketing.files] == [
            ("tickets", "loaded"), ("ticket_events", "loaded")
        ]  # fmt: skip
        again = Loader(con, str(landing), TEST_KEY).load_all()
        assert [f.status for f in again.files] == ["unchanged"] * 4
    finally:
        con.close()
