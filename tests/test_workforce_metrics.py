"""Workforce metrics in mart.metric_values through a real load and `dbt build`, on a hand-made
centre whose every expected value is worked out by hand from METRICS.md section 6."""

from __future__ import annotations

import pytest

from conftest import built_mart, csv_text, metric, write

# London is GMT (UTC+0) until 2026-03-29 01:00 UTC, then BST. Every CSS works in LON on P1.
SCHEDULES = [
    # agent, activity, start, end (UTC)
    # A1, 10th: a break scheduled 10:00-10:15 and taken 3 minutes late (see STATES)
    ("A1", "on_queue", "2026-03-10T09:00", "2026-03-10T10:00"),
    ("A1", "break", "2026-03-10T10:00", "2026-03-10T10:15"),
    ("A1", "on_queue", "2026-03-10T10:15", "2026-03-10T11:00"),
    # A2, 10th: an hour of training, not ready all of it
    ("A2", "training", "2026-03-10T12:00", "2026-03-10T13:00"),
    # A1, 12th: a night shift across midnight, 8.5 h
    ("A1", "on_queue", "2026-03-12T22:00", "2026-03-13T06:30"),
    # A2, 12th: a day shift with an unpaid lunch; A2 called in sick (ABSENCES)
    ("A2", "on_queue", "2026-03-12T09:00", "2026-03-12T13:00"),
    ("A2", "lunch", "2026-03-12T13:00", "2026-03-12T13:30"),
    ("A2", "on_queue", "2026-03-12T13:30", "2026-03-12T17:30"),
    # A1, 14th: planned leave, neither paid nor scheduled work
    ("A1", "off", "2026-03-14T09:00", "2026-03-14T17:30"),
    # A2, 28th: 22:00 GMT to 06:30 BST (05:30 UTC) across the DST change: 7.5 h
    ("A2", "on_queue", "2026-03-28T22:00", "2026-03-29T05:30"),
]
STATES = [
    # agent, state, reason, start, end (UTC; empty end = until the next state)
    ("A1", "available", "", "2026-03-10T09:00", "2026-03-10T10:03"),
    ("A1", "not_ready", "break", "2026-03-10T10:03", "2026-03-10T10:18"),
    ("A1", "handling", "", "2026-03-10T10:18", "2026-03-10T10:50"),
    ("A1", "acw", "", "2026-03-10T10:50", "2026-03-10T11:00"),
    ("A1", "logged_out", "", "2026-03-10T11:00", ""),
    ("A2", "not_ready", "training", "2026-03-10T12:00", "2026-03-10T13:00"),
    ("A2", "logged_out", "", "2026-03-10T13:00", ""),
    ("A1", "available", "", "2026-03-12T22:00", "2026-03-12T23:00"),
    ("A1", "handling", "", "2026-03-12T23:00", "2026-03-13T06:30"),
    ("A1", "logged_out", "", "2026-03-13T06:30", ""),
    ("A2", "available", "", "2026-03-28T22:00", "2026-03-29T05:30"),
    ("A2", "logged_out", "", "2026-03-29T05:30", ""),
]
ABSENCES = [
    # employee, date, hours, planned
    ("A2", "2026-03-12", 8, "false"),
    ("A1", "2026-03-14", 8, "true"),
]
FORECASTS = [
    # horizon, interval start, forecast offered, forecast AHT, made at
    ("scheduling", "2026-03-10T10:00", 3, 300, "2026-02-23T10:00"),
    ("scheduling", "2026-03-10T10:30", 2, 300, "2026-02-23T10:00"),
    ("scheduling", "2026-03-10T11:00", 1, 200, "2026-02-23T10:00"),
    # made the day before: too late to have built the schedule from, ignored
    ("scheduling", "2026-03-10T10:00", 50, 300, "2026-03-09T10:00"),
    ("staffing", "2026-03-10T10:00", 5, 300, "2025-12-01T10:00"),
]
CALLS = [
    # contact, offered at, outcome, talk seconds
    ("c1", "2026-03-10T10:05", "answered", 200),
    ("c2", "2026-03-10T10:10", "answered", 400),
    ("c3", "2026-03-10T10:20", "abandoned", ""),
    ("c4", "2026-03-10T11:15", "answered", 300),
]


def ts(text):
    return f"{text}:00+00:00" if text else ""


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    home = tmp_path_factory.mktemp("workforce") / "home"
    landing = home / "landing"
    write(landing, "sites", "sites.csv", csv_text("sites", [
        {"site_id": "LON", "time_zone": "Europe/London"},
    ]))  # fmt: skip
    write(landing, "programs", "programs.csv", csv_text("programs", [
        {"program_id": "P1", "client_id": "C1"},
    ]))  # fmt: skip
    write(landing, "queues", "queues.csv", csv_text("queues", [
        {"queue_id": "Q1", "site_id": "LON", "program_id": "P1", "channel": "voice"},
    ]))  # fmt: skip
    write(landing, "staff_roster", "roster.csv", csv_text("staff_roster", [
        {"employee_id": a, "site_id": "LON", "program_id": "P1", "role": "css",
         "employment_type": "permanent", "hired_at": "2025-01-01"}
        for a in ("A1", "A2")
    ]))  # fmt: skip
    write(landing, "wfm_schedules", "schedules.csv", csv_text("wfm_schedules", [
        {"agent_id": a, "site_id": "LON", "activity": act, "started_at": ts(s), "ended_at": ts(e)}
        for a, act, s, e in SCHEDULES
    ]))  # fmt: skip
    write(landing, "agent_states", "states.csv", csv_text("agent_states", [
        {"agent_id": a, "site_id": "LON", "state": st, "reason": r, "started_at": ts(s),
         "ended_at": ts(e)}
        for a, st, r, s, e in STATES
    ]))  # fmt: skip
    write(landing, "absences", "absences.csv", csv_text("absences", [
        {"employee_id": a, "date": d, "hours": h, "planned": p} for a, d, h, p in ABSENCES
    ]))  # fmt: skip
    write(landing, "wfm_forecasts", "forecasts.csv", csv_text("wfm_forecasts", [
        {"queue_id": "Q1", "interval_start": ts(i), "interval_minutes": 30, "horizon": h,
         "forecast_offered": f, "forecast_aht_seconds": aht, "made_at": ts(m)}
        for h, i, f, aht, m in FORECASTS
    ]))  # fmt: skip
    write(landing, "acd_contacts", "calls.csv", csv_text("acd_contacts", [
        {"contact_id": c, "segment_id": "1", "site_id": "LON", "program_id": "P1",
         "queue_id": "Q1", "channel": "voice", "direction": "inbound", "offered_at": ts(at),
         "outcome": outcome, "abandoned": str(outcome == "abandoned").lower(),
         "wait_seconds": 5, "talk_seconds": talk}
        for c, at, outcome, talk in CALLS
    ]))  # fmt: skip
    yield from built_mart(home)


def test_adherence_with_a_break_taken_three_minutes_late(mart):
    # 7200 s scheduled. On queue 10:00-10:03 in a scheduled break and on break 10:15-10:18 while
    # on_queue is scheduled: 180 s each, less the first 60 s after each boundary (grace):
    # 120 + 120 = 240 s out of adherence, 6960 s adherent.
    num, den, value, *_ = metric(mart, "schedule_adherence", "agent", "A1", "day", "2026-03-10")
    assert (num, den) == (6960, 7200) and value == pytest.approx(6960 / 7200)
    # The site adds A2's hour of training spent not ready (training): (6960 + 3600) / 10800.
    assert metric(mart, "schedule_adherence", "site", "LON", "day", "2026-03-10")[:2] == (10560, 10800)


def test_occupancy_and_utilisation(mart):
    # A1 on the 10th: handling 10:18-10:50 (1920) + acw 10:50-11:00 (600) = 2520 productive,
    # available 09:00-10:03 = 3780: occupancy 2520 / 6300 = 0.4; utilisation 6300 / 7200.
    assert metric(mart, "occupancy", "agent", "A1", "day", "2026-03-10")[:3] == (2520, 6300, 0.4)
    num, den, value, *_ = metric(mart, "utilisation", "agent", "A1", "day", "2026-03-10")
    assert (num, den) == (6300, 7200) and value == pytest.approx(0.875)


def test_occupancy_without_productive_or_available_time_is_not_countable(mart):
    # A2 spent the 10th in training: 0 / 0, so NULL with the reason; utilisation 0 of 3600 paid.
    assert metric(mart, "occupancy", "agent", "A2", "day", "2026-03-10") == (
        0,
        0,
        None,
        False,
        "zero_denominator",
    )
    assert metric(mart, "utilisation", "agent", "A2", "day", "2026-03-10")[:3] == (0, 3600, 0)
    # A2 on the 28th: available all shift, nothing handled: occupancy 0 / 27000 = 0 (countable).
    assert metric(mart, "occupancy", "agent", "A2", "day", "2026-03-28")[:4] == (0, 27000, 0, True)


def test_a_shift_crossing_midnight_counts_on_the_day_it_starts(mart):
    # A1 22:00 on the 12th to 06:30 on the 13th: 30600 s on the 12th, handling 23:00-06:30 =
    # 27000 of 27000 + 3600 available; nothing on the 13th.
    assert metric(mart, "utilisation", "agent", "A1", "day", "2026-03-12")[:3] == (30600, 30600, 1)
    assert metric(mart, "occupancy", "agent", "A1", "day", "2026-03-12")[:2] == (27000, 30600)
    assert metric(mart, "schedule_adherence", "agent", "A1", "day", "2026-03-12")[:3] == (
        30600,
        30600,
        1,
    )
    assert metric(mart, "utilisation", "agent", "A1", "day", "2026-03-13") is None
    # A1's month: occupancy (2520 + 27000) / (6300 + 30600) = 29520 / 36900 = 0.8.
    num, den, value, *_ = metric(mart, "occupancy", "agent", "A1", "month", "2026-03-01")
    assert (num, den) == (29520, 36900) and value == pytest.approx(0.8)


def test_a_shift_across_the_dst_change_is_its_real_length(mart):
    # 22:00 GMT on the 28th to 06:30 BST on the 29th is 7.5 h (27000 s), not 8.5, and it is
    # dated the 28th; all of it available and on queue.
    assert metric(mart, "utilisation", "agent", "A2", "day", "2026-03-28")[:3] == (27000, 27000, 1)
    assert metric(mart, "schedule_adherence", "agent", "A2", "day", "2026-03-28")[:2] == (27000, 27000)
    assert metric(mart, "utilisation", "agent", "A2", "day", "2026-03-29") is None


def test_absenteeism_per_program(mart):
    # The 12th on P1: A2's 8 unplanned hours over paid scheduled hours: A2 8 h (8.5 h less the
    # unpaid lunch) + A1's 8.5 h night shift = 16.5 h.
    num, den, value, *_ = metric(mart, "absenteeism", "program", "P1", "day", "2026-03-12")
    assert (num, den) == (8, 16.5) and value == pytest.approx(8 / 16.5)
    # March: A1's planned leave on the 14th does not count; paid hours A1 2 + 8.5, A2 1 + 8 +
    # 7.5 = 27 h: 8 / 27.
    num, den, value, *_ = metric(mart, "absenteeism", "program", "P1", "month", "2026-03-01")
    assert (num, den) == (8, 27) and value == pytest.approx(8 / 27)
    assert metric(mart, "absenteeism", "organisation", "organisation", "month", "2026-03-01")[:2] == (8, 27)


def test_scheduling_forecast_accuracy_with_an_interval_without_volume(mart):
    # Q1 on the 10th against the 23 Feb snapshot (the 9 March one came too late):
    # actual 3, 0, 1 against 3, 2, 1. WAPE = (0 + 2 + 0) / 4, accuracy 1 - 0.5 = 0.5, and it
    # stays defined although 10:30 had no calls. Bias (0 + 2 + 0) / 4 = 0.5.
    assert metric(mart, "forecast_accuracy_scheduling", "queue", "Q1", "day", "2026-03-10")[:3] == (
        2,
        4,
        0.5,
    )
    assert metric(mart, "forecast_bias_scheduling", "queue", "Q1", "day", "2026-03-10")[:3] == (2, 4, 0.5)
    # Within 10%: 10:00 (0 <= 0.3) and 11:00 (0 <= 0.1); 10:30 (2 > 0) is not: 2 of 3.
    num, den, *_ = metric(mart, "forecast_within_tolerance_scheduling", "queue", "Q1", "day", "2026-03-10")
    assert (num, den) == (2, 3)
    # AHT on handle time: 10:00 |600 - 2 x 300| = 0; 11:00 |300 - 1 x 200| = 100; over 900 s.
    num, den, value, *_ = metric(
        mart, "forecast_accuracy_scheduling_aht", "organisation", "organisation", "month", "2026-03-01"
    )
    assert (num, den) == (800, 900) and value == pytest.approx(8 / 9)


def test_staffing_forecast_accuracy_is_monthly(mart):
    # The 1 Dec snapshot forecast 5 at 10:00 and nothing at 11:00: actual 3 and 1.
    # WAPE (2 + 1) / 4: accuracy 1/4; bias (2 - 1) / 4.
    assert metric(mart, "forecast_accuracy_staffing", "channel", "voice", "month", "2026-03-01")[:2] == (1, 4)
    assert metric(mart, "forecast_bias_staffing", "client", "C1", "month", "2026-03-01")[:2] == (1, 4)
    assert metric(mart, "forecast_accuracy_staffing", "queue", "Q1", "day", "2026-03-10") is None


def test_no_value_is_null_without_a_reason(mart):
    assert mart.execute(
        "select count(*) from mart.metric_values where value is null and not_countable_reason is null"
    ).fetchone() == (0,)
