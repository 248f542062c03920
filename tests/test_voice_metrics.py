"""Voice metrics in mart.metric_values through a real load and `dbt build`, on a hand-made
centre whose every expected value is worked out by hand from METRICS.md section 1."""

from __future__ import annotations

import pytest

from conftest import built_mart, csv_text, metric, write

# Q1 (London, P1): T = 20 s, short abandons under 5 s, copc_offered.
# Q2 (New York, P2): T = 30 s, short abandons off, abandons_positive.
CALLS = [
    # contact, queue, site, program, day, outcome, wait
    ("c1", "Q1", "LON", "P1", "2026-03-10", "answered", 10),
    ("c2", "Q1", "LON", "P1", "2026-03-10", "answered", 30),
    ("c3", "Q1", "LON", "P1", "2026-03-10", "abandoned", 3),
    ("c4", "Q1", "LON", "P1", "2026-03-10", "abandoned", 40),
    ("c5", "Q1", "LON", "P1", "2026-03-10", "timeout", 300),
    ("c9", "Q1", "LON", "P1", "2026-03-11", "answered", 5),
    ("c6", "Q2", "NYC", "P2", "2026-03-10", "answered", 20),
    ("c7", "Q2", "NYC", "P2", "2026-03-10", "callback", 25),
    ("c8", "Q2", "NYC", "P2", "2026-03-10", "abandoned", 50),
    ("c10", "Q2", "NYC", "P2", "2026-03-11", "abandoned", 60),
]


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    home = tmp_path_factory.mktemp("voice") / "home"
    landing = home / "landing"
    write(landing, "sites", "sites.csv", csv_text("sites", [
        {"site_id": "LON", "time_zone": "Europe/London"},
        {"site_id": "NYC", "time_zone": "America/New_York"},
    ]))  # fmt: skip
    write(landing, "programs", "programs.csv", csv_text("programs", [
        {"program_id": "P1", "client_id": "C1"}, {"program_id": "P2", "client_id": "C1"},
    ]))  # fmt: skip
    write(landing, "queues", "queues.csv", csv_text("queues", [
        {"queue_id": "Q1", "site_id": "LON", "program_id": "P1", "channel": "voice",
         "service_level_seconds": 20, "short_abandon_seconds": 5, "sl_formula": "copc_offered"},
        {"queue_id": "Q2", "site_id": "NYC", "program_id": "P2", "channel": "voice",
         "service_level_seconds": 30, "short_abandon_seconds": 0,
         "sl_formula": "abandons_positive"},
    ]))  # fmt: skip
    rows = [
        {
            "contact_id": c, "segment_id": "1", "site_id": site, "program_id": prog,
            "queue_id": q, "channel": "voice", "direction": "inbound",
            "offered_at": f"{day}T15:00:00+00:00", "outcome": outcome,
            "abandoned": str(outcome == "abandoned").lower(), "wait_seconds": wait,
            "talk_seconds": 100 if outcome == "answered" else "",
        }
        for c, q, site, prog, day, outcome, wait in CALLS
    ]  # fmt: skip
    write(landing, "acd_contacts", "calls.csv", csv_text("acd_contacts", rows))
    yield from built_mart(home)


def test_queue_day_counts_and_the_copc_service_level(mart):
    # Q1 on the 10th: 5 offered, 2 answered (10 s in, 30 s out), 2 abandoned of which one
    # short (3 s), one timeout kept apart: SL = 1 / (5 - 1); abandon rate = (2 - 1) / (5 - 1).
    assert metric(mart, "voice_offered", "queue", "Q1", "day", "2026-03-10")[2] == 5
    assert metric(mart, "voice_short_abandoned", "queue", "Q1", "day", "2026-03-10")[2] == 1
    assert metric(mart, "voice_timeouts", "queue", "Q1", "day", "2026-03-10")[2] == 1
    assert metric(mart, "voice_abandoned", "queue", "Q1", "day", "2026-03-10")[2] == 2
    assert metric(mart, "voice_service_level", "queue", "Q1", "day", "2026-03-10")[:3] == (1, 4, 0.25)
    assert metric(mart, "voice_abandon_rate", "queue", "Q1", "day", "2026-03-10")[:3] == (1, 4, 0.25)
    assert metric(mart, "voice_asa", "queue", "Q1", "day", "2026-03-10")[:3] == (40, 2, 20)
    assert metric(mart, "voice_aht", "queue", "Q1", "day", "2026-03-10")[:3] == (200, 2, 100)


def test_abandons_positive_counts_callbacks_within_t(mart):
    # Q2 on the 10th: answered at 20 s and a callback at 25 s meet T = 30 s; the abandon at 50 s
    # does not: 2 / 3.
    num, den, value, *_ = metric(mart, "voice_service_level", "queue", "Q2", "day", "2026-03-10")
    assert (num, den) == (2, 3) and value == pytest.approx(2 / 3)


def test_a_zero_denominator_is_null_with_a_reason(mart):
    # Q2 on the 11th has one abandoned call and no answer: no ASA, and it says why.
    assert metric(mart, "voice_asa", "queue", "Q2", "day", "2026-03-11") == (
        0,
        0,
        None,
        False,
        "zero_denominator",
    )
    assert metric(mart, "voice_service_level", "queue", "Q2", "day", "2026-03-11")[:3] == (0, 1, 0)


def test_months_and_levels_recompute_rates_from_summed_parts(mart):
    # Q1 in March: 6 offered, 1 short, answered within T on the 10th (10 s) and 11th (5 s).
    assert metric(mart, "voice_service_level", "queue", "Q1", "month", "2026-03-01")[:3] == (2, 5, 0.4)
    assert metric(mart, "voice_asa", "queue", "Q1", "month", "2026-03-01")[:3] == (45, 3, 15)
    # Sites: London 2 / 5; New York (2 + 0) / (3 + 1) = 0.5.
    assert metric(mart, "voice_service_level", "site", "LON", "month", "2026-03-01")[2] == 0.4
    assert metric(mart, "voice_service_level", "site", "NYC", "month", "2026-03-01")[2] == 0.5
    # Organisation, client and channel: (2 + 2) / (5 + 4), not the mean of 0.4 and 0.5.
    for level, unit in (("organisation", "organisation"), ("client", "C1"), ("channel", "voice")):
        num, den, value, *_ = metric(mart, "voice_service_level", level, unit, "month", "2026-03-01")
        assert (num, den) == (4, 9) and value == pytest.approx(4 / 9), level
    assert metric(mart, "voice_offered", "organisation", "organisation", "day", "2026-03-10")[2] == 8
    num, den, *_ = metric(mart, "voice_service_level", "organisation", "organisation", "day", "2026-03-10")
    assert (num, den) == (3, 7)


def test_no_value_is_null_without_a_reason(mart):
    assert mart.execute(
        "select count(*) from mart.metric_values where value is null and not_countable_reason is null"
    ).fetchone() == (0,)
