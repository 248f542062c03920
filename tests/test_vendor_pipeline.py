"""A full `cxmart run` (load, raw gate, dbt build, mart gate, publish, report) on one landing holding
every vendor reader's sample: the real Genesys Cloud, Zendesk, ServiceNow and Intercom samples of
../shared/realdata (read in place), the Amazon Connect documentation's queued-callback example with
the hand-made contact records, and the hand-made Asterisk queue_log. One run keeps the suite short
(a dbt build costs a minute); each vendor is its own program, so its rows in `mart.metric_values`
are told apart, and every expected value is a count worked out by hand in the vendor's test module
(quoted again below)."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from test_amazon_connect import EXAMPLE, RECORDS, _worked_example_records
from test_asterisk import QUEUE_LOG, TABLE_EXPORT
from vendor_samples import GENESYS, INTERCOM, SERVICENOW, ZENDESK, link_sample

from cxmart import pipeline
from cxmart.config import Settings

from conftest import TEST_KEY, write

SOURCES = """
asterisk:
  time_zone: America/New_York
  site_id: LON
  program_id: AST
  queues:
    billing: {queue_id: BILLING}
genesys_cloud:
  program_id: GEN
  queue_id: WEBCHAT
amazon_connect:
  program_id: AWS
  queues:
    Support: {queue_id: SUPPORT-AWS}
    Billing: {queue_id: BILLING-AWS}
    WebChat: {queue_id: CHAT-AWS}
zendesk:
  time_zone: UTC
  program_id: ZD
servicenow:
  time_zone: UTC
  program_id: SN
  channel: web
intercom:
  time_zone: UTC
  program_id: IC
"""


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    for sample in (GENESYS, ZENDESK, SERVICENOW, INTERCOM, EXAMPLE):
        if not sample.exists():
            pytest.skip(f"{sample} not found: the shared real data sits beside the repository")
    home = tmp_path_factory.mktemp("vendors") / "home"
    landing = home / "landing"
    write(landing, "asterisk", "queue_log", QUEUE_LOG)
    write(landing, "asterisk", "queue_log_table.csv", TABLE_EXPORT)
    link_sample(GENESYS, landing, "genesys_cloud")
    records = _worked_example_records() + RECORDS
    write(landing, "amazon_connect", "ctr.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    link_sample(ZENDESK, landing, "zendesk")
    tables = ["task_data.csv", "incident_data.csv", "task_sla_data.csv"]
    link_sample(SERVICENOW, landing, "servicenow", tables)
    link_sample(INTERCOM, landing, "intercom")
    (landing / "sources.yml").write_text(SOURCES)
    settings = Settings.resolve(home=home)
    report, summary = pipeline.run(settings, TEST_KEY)
    assert summary.success, summary.failures
    con = duckdb.connect(str(settings.mart), read_only=True)
    yield report, con
    con.close()


def _rows(con, metric: str, level: str, unit: str, grain: str = "day") -> dict[dt.date, float]:
    return dict(
        con.execute(
            "select period_start, value from mart.metric_values where metric_id = ? and unit_level = ? "
            "and unit_id = ? and period_grain = ? order by 1",
            [metric, level, unit, grain],
        ).fetchall()
    )


def D(*a) -> dt.date:  # noqa: N802
    return dt.date(*a)


def test_every_vendor_loaded_with_nothing_rejected(mart):
    report, _ = mart
    assert report.rejected == []
    entities = {f.entity for f in report.files if f.status == "loaded"}
    assert entities >= {
        "acd_contacts", "agent_states", "chat_sessions", "chat_messages", "tickets", "ticket_events",
        "calendars", "holidays",
    }  # fmt: skip


def test_asterisk_voice_in_the_published_mart(mart):
    _, con = mart
    # test_asterisk: 10 March, contacts c1-c9 (c3 and c9 in two queues, counted once here); answered
    # c1, c3, c6, c7; abandoned c2; 11 March: c10, answered. Site LON has no zone: UTC days.
    assert _rows(con, "voice_offered", "program", "AST") == {D(2026, 3, 10): 9.0, D(2026, 3, 11): 1.0}
    assert _rows(con, "voice_answered", "program", "AST") == {D(2026, 3, 10): 4.0, D(2026, 3, 11): 1.0}
    assert _rows(con, "voice_abandoned", "program", "AST")[D(2026, 3, 10)] == 1.0
    # system exits are not abandons: c4 timed out, c5 left by key, c8 and c9 found no agents
    assert _rows(con, "voice_timeouts", "program", "AST")[D(2026, 3, 10)] == 1.0
    assert _rows(con, "voice_exit_keys", "program", "AST")[D(2026, 3, 10)] == 1.0
    assert _rows(con, "voice_no_agents", "program", "AST")[D(2026, 3, 10)] == 2.0
    # queue support on 10 March: segments c1, c2, c3/1, c5, c6, c8, c9/1 offered; c1, c3/1 and c6
    # answered; c3/1 transferred to billing: transfer rate 1/3.
    assert _rows(con, "voice_offered", "queue", "support")[D(2026, 3, 10)] == 7.0
    assert _rows(con, "voice_transfer_rate", "queue", "support")[D(2026, 3, 10)] == pytest.approx(1 / 3)
    assert _rows(con, "voice_offered", "channel", "voice")  # the channel's rows exist


def test_genesys_voice_and_chat_in_the_published_mart(mart):
    _, con = mart
    # test_genesys (jq): on 6 September 2016 (UTC), 2 inbound voice conversations, both answered
    # (the 19 callbacks are outbound work, not offered); 4 chats, all with a first human response.
    assert _rows(con, "voice_offered", "program", "GEN") == {D(2016, 9, 6): 2.0}
    assert _rows(con, "voice_answered", "program", "GEN") == {D(2016, 9, 6): 2.0}
    assert _rows(con, "chat_offered", "program", "GEN") == {D(2016, 9, 6): 4.0}
    assert _rows(con, "chat_handled", "program", "GEN") == {D(2016, 9, 6): 4.0}
    assert _rows(con, "chat_offered", "channel", "chat")


def test_amazon_connect_voice_and_chat_in_the_published_mart(mart):
    _, con = mart
    # The worked example (15 June 2023): one inbound contact, which chose a callback: offered,
    # not answered, not abandoned, one callback (the callback record itself is outbound work).
    assert _rows(con, "voice_offered", "program", "AWS")[D(2023, 6, 15)] == 1.0
    assert _rows(con, "voice_callbacks", "program", "AWS")[D(2023, 6, 15)] == 1.0
    assert _rows(con, "voice_abandoned", "program", "AWS")[D(2023, 6, 15)] == 0.0
    # test_amazon_connect's records (10 March 2026): contacts v1, v2, v3a (two legs), v4a (two
    # legs), v5 (v6 quarantined, v7 never queued): 5 offered, v1, v3a and v4a answered, v2
    # abandoned, v5 a timeout; chats c1 (answered) and c2 (not).
    assert _rows(con, "voice_offered", "program", "AWS")[D(2026, 3, 10)] == 5.0
    assert _rows(con, "voice_answered", "program", "AWS")[D(2026, 3, 10)] == 3.0
    assert _rows(con, "voice_abandoned", "program", "AWS")[D(2026, 3, 10)] == 1.0
    assert _rows(con, "voice_timeouts", "program", "AWS")[D(2026, 3, 10)] == 1.0
    assert _rows(con, "chat_offered", "program", "AWS") == {D(2026, 3, 10): 2.0}
    assert _rows(con, "chat_handled", "program", "AWS") == {D(2026, 3, 10): 1.0}


def test_zendesk_tickets_in_the_published_mart(mart):
    _, con = mart
    # test_zendesk: the 8 tickets that are not deleted, received (created_at, UTC) on 13 and 27
    # February, 20 April, 17 and 26 May, 28 August, 28 October and 22 December 2020: by month
    # (months where tickets were only completed have a row of 0 received).
    received = _rows(con, "ticket_received", "program", "ZD", "month")
    assert {month: n for month, n in received.items() if n} == {
        D(2020, 2, 1): 2.0, D(2020, 4, 1): 1.0, D(2020, 5, 1): 2.0, D(2020, 8, 1): 1.0, D(2020, 10, 1): 1.0,
        D(2020, 12, 1): 1.0,
    }  # fmt: skip
    assert sum(_rows(con, "ticket_completed", "program", "ZD", "month").values()) == 8.0
    assert _rows(con, "ticket_received", "channel", "email", "month")


def test_servicenow_tickets_in_the_published_mart(mart):
    _, con = mart
    # test_servicenow: one incident, created 2 June 2023, still New.
    assert _rows(con, "ticket_received", "program", "SN") == {D(2023, 6, 2): 1.0}
    assert not _rows(con, "ticket_completed", "program", "SN").get(D(2023, 6, 2))
    assert _rows(con, "ticket_received", "channel", "web")


def test_intercom_chats_in_the_published_mart(mart):
    _, con = mart
    # test_intercom: two conversations, created 28 October and 4 November 2020 (UTC), neither with a
    # teammate reply in the export: offered, not handled, not established (abandoned).
    assert _rows(con, "chat_offered", "program", "IC") == {D(2020, 10, 28): 1.0, D(2020, 11, 4): 1.0}
    assert _rows(con, "chat_abandoned", "program", "IC") == {D(2020, 10, 28): 1.0, D(2020, 11, 4): 1.0}
