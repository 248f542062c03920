"""Quality-monitoring and survey metrics (METRICS.md sections 4 and 5) in mart.metric_values
through a real load and `dbt build`, on a hand-made centre whose every expected value is worked
out by hand, including the sampled-proportion rules (Wilson interval, min_sample, biased sample).

Wilson at the ends, by hand: with p = 1 the centre is (1 + z²/2n) / (1 + z²/n) and the
half-width (z²/2n) / (1 + z²/n), so the lower bound is 1 / (1 + z²/n) = n / (n + z²) and the
upper bound exactly 1; with p = 0 the bounds are exactly 0 and z² / (n + z²). z = 1.959964, so
z² = 3.841459: n = 30 gives 30 / 33.841459 = 0.886487 (half-width 0.056757 < 0.10, indicative),
n = 29 gives 29 / 32.841459 = 0.883030 (fewer than 30: not indicative)."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import built_mart, csv_text, write

Z2 = 1.959963984540054**2  # 3.841459


def qa(eid, agent, program, day, *, mode="remote", selection="random", customer=False, contact=""):
    return {
        "evaluation_id": eid, "contact_id": contact or f"k-{eid}", "channel": "voice",
        "site_id": "LON", "program_id": program, "agent_id": agent, "evaluator_id": "Q1",
        "evaluated_at": f"2026-03-{day:02d}T12:00:00+00:00", "monitoring_mode": mode,
        "selection": selection, "customer_critical_error": str(customer).lower(),
        "business_critical_error": "false", "compliance_critical_error": "false", "defects": 0,
        "score": 90,
    }  # fmt: skip


# P1: 30 random reviews (A1-A3, 2-31 March), all clean. N1 (hired 9 March): three targeted
# reviews with a customer-critical error, left out of P1's sample because random ones exist.
# P2: 29 random reviews of B1, clean. P3: 5 targeted reviews of D1, one customer error.
# Calibration on 4 March: Q1, Q2, Q3 score E1's contact k1 (customer error T, F, F).
EVALUATIONS = (
    [qa(f"p1-{d}", f"A{d % 3 + 1}", "P1", d) for d in range(2, 32)]
    + [qa(f"n1-{d}", "N1", "P1", d, selection="targeted", customer=True) for d in (10, 17, 24)]
    + [qa(f"p2-{d}", "B1", "P2", d) for d in range(2, 31)]
    + [qa(f"p3-{d}", "D1", "P3", d, selection="targeted", customer=d == 2) for d in range(2, 7)]
    + [
        {**qa(f"cal-{q}", "E1", "P1", 4, mode="calibration", customer=q == "Q1", contact="k1"),
         "evaluator_id": q}
        for q in ("Q1", "Q2", "Q3")
    ]
)  # fmt: skip
ROSTER = [
    ("A1", "P1", "2024-01-01"), ("A2", "P1", "2024-01-01"), ("A3", "P1", "2024-01-01"),
    ("E1", "P1", "2024-01-01"), ("N1", "P1", "2026-03-09"), ("B1", "P2", "2024-01-01"),
    ("D1", "P3", "2024-01-01"), ("Q1", "P1", "2024-01-01"),
]  # fmt: skip


def survey(
    rid, program, at, score, scale_max, *, contact="", channel="email", selection="random", effort=None
):
    return {
        "response_id": rid, "contact_id": contact, "channel": channel, "site_id": "LON",
        "program_id": program, "responded_at": at, "overall_score": score,
        "overall_scale_min": 1 if scale_max else "", "overall_scale_max": scale_max or "",
        "effort_score": effort or "", "effort_scale_min": 1 if effort else "",
        "effort_scale_max": 7 if effort else "", "selection": selection,
    }  # fmt: skip


MAR10, APR1 = "2026-03-10T10:00:00+00:00", "2026-04-01T08:00:00+00:00"
SURVEYS = [
    # s1: about call v1 (31 March 23:30 in London), answered 1 April: counted on 31 March
    survey("s1", "P1", APR1, 5, 5, contact="v1", channel="voice"),
    # s2: about an unknown contact: its own day, 1 April
    survey("s2", "P1", APR1, 1, 5, contact="zz", channel="voice"),
    # P3 on a 1-10 scale: 10 and 9 are the top two boxes, 1 the bottom box
    survey("s3", "P3", MAR10, 10, 10, effort=1),
    survey("s4", "P3", MAR10, 9, 10, effort=2),
    survey("s5", "P3", MAR10, 8, 10, effort=5),
    survey("s6", "P3", MAR10, 1, 10),
    survey("s7", "P3", MAR10, 5, None),  # no declared scale: not a valid response
    survey("s8", "P3", MAR10, 1, 10, selection="other"),  # left out: random responses exist
]


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    home = tmp_path_factory.mktemp("quality") / "home"
    landing = home / "landing"
    write(landing, "sites", "sites.csv", csv_text("sites", [
        {"site_id": "LON", "time_zone": "Europe/London"},
    ]))  # fmt: skip
    write(landing, "programs", "programs.csv", csv_text("programs", [
        {"program_id": "P1", "client_id": "C1"}, {"program_id": "P2", "client_id": "C1"},
        {"program_id": "P3", "client_id": "C2"},
    ]))  # fmt: skip
    write(landing, "queues", "queues.csv", csv_text("queues", [
        {"queue_id": "Q1", "site_id": "LON", "program_id": "P1", "channel": "voice"},
    ]))  # fmt: skip
    write(landing, "acd_contacts", "calls.csv", csv_text("acd_contacts", [
        {"contact_id": "v1", "segment_id": "1", "site_id": "LON", "program_id": "P1",
         "queue_id": "Q1", "channel": "voice", "direction": "inbound",
         "offered_at": "2026-03-31T22:30:00+00:00", "answered_at": "2026-03-31T22:30:20+00:00",
         "outcome": "answered", "wait_seconds": 20, "talk_seconds": 100},
    ]))  # fmt: skip
    roster = [
        {"employee_id": e, "site_id": "LON", "program_id": p, "hired_at": h,
         "role": "qa" if e == "Q1" else "css", "employment_type": "permanent"}
        for e, p, h in ROSTER
    ]  # fmt: skip
    write(landing, "staff_roster", "roster.csv", csv_text("staff_roster", roster))
    write(landing, "qa_evaluations", "qa.csv", csv_text("qa_evaluations", EVALUATIONS))
    write(landing, "survey_responses", "surveys.csv", csv_text("survey_responses", SURVEYS))
    yield from built_mart(home)


def metric(con, metric_id, level, unit, grain, start):
    return con.execute(
        "select numerator, denominator, value, sample_size, ci_low, ci_high, is_countable, "
        "not_countable_reason from mart.metric_values where metric_id = ? and unit_level = ? "
        "and unit_id = ? and period_grain = ? and period_start = ?",
        [metric_id, level, unit, grain, dt.date.fromisoformat(start)],
    ).fetchone()


def test_wilson_at_p_1_with_30_reviews_is_indicative(mart):
    # P1 March: 30 random reviews, no customer error (N1's targeted ones left out): 30/30.
    num, den, value, n, low, high, countable, reason = metric(
        mart, "cea_customer", "program", "P1", "month", "2026-03-01"
    )
    assert (num, den, value, n) == (30, 30, 1, 30)
    assert low == pytest.approx(30 / (30 + Z2)) and low == pytest.approx(0.886487, abs=1e-6)
    assert high == 1 and countable and reason is None


def test_wilson_at_p_0_is_exact_at_0(mart):
    # P1 March: no review found a defect: 0/30, bounds exactly 0 and z²/(30 + z²) = 0.113513.
    num, den, value, n, low, high, countable, reason = metric(
        mart, "defect_rate", "program", "P1", "month", "2026-03-01"
    )
    assert (num, den, value, n) == (0, 30, 0, 30)
    assert low == 0 and high == pytest.approx(Z2 / (30 + Z2)) and high == pytest.approx(0.113513, abs=1e-6)
    assert countable and reason is None


def test_29_reviews_are_not_indicative(mart):
    # P2 March: 29 random reviews, 29/29: lower bound 29/(29 + z²) = 0.883030, under min_sample.
    num, den, value, n, low, high, countable, reason = metric(
        mart, "cea_customer", "program", "P2", "month", "2026-03-01"
    )
    assert (num, den, n) == (29, 29, 29) and low == pytest.approx(0.883030, abs=1e-6)
    assert (countable, reason) == (False, "not_indicative")


def test_targeted_only_sample_is_biased(mart):
    # P3 (the only program of C2): 5 targeted reviews, one customer error: 4/5, non-random.
    for level, unit in (("program", "P3"), ("client", "C2")):
        num, den, value, n, *_, countable, reason = metric(
            mart, "cea_customer", level, unit, "month", "2026-03-01"
        )
        assert (num, den, value, n) == (4, 5, 0.8, 5)
        assert (countable, reason) == (False, "biased_sample")


def test_organisation_uses_the_random_reviews_only(mart):
    # 30 (P1) + 29 (P2) random reviews, calibration and targeted ones left out: 59/59.
    num, den, value, n, low, *_ = metric(
        mart, "cea_customer", "organisation", "organisation", "month", "2026-03-01"
    )
    assert (num, den, n) == (59, 59, 59) and low == pytest.approx(59 / (59 + Z2))
    # the CSS view: A1 had the reviews of 3, 6, ..., 30 March: 10 of them
    assert metric(mart, "cea_customer", "agent", "A1", "month", "2026-03-01")[:2] == (10, 10)


def test_monitoring_coverage(mart):
    # P1 active CSSs A1, A2, A3, E1, N1 (Q1 is QA). A1-A3 reviewed; E1 only in calibration; N1
    # (hired 9 March) reviewed in weeks 9-15, 16-22 and 23-29 March but not in 30 March-7 April,
    # which started by the last day with data (31 March): 3 of 5. Plus B1 and D1 (targeted
    # reviews count for coverage) at the organisation: 5 of 7.
    assert metric(mart, "monitoring_coverage", "program", "P1", "month", "2026-03-01")[:3] == (3, 5, 0.6)
    num, den, value, *_ = metric(
        mart, "monitoring_coverage", "organisation", "organisation", "month", "2026-03-01"
    )
    assert (num, den) == (5, 7) and value == pytest.approx(5 / 7)
    assert mart.execute(
        "select count(*) from mart.metric_values "
        "where metric_id = 'monitoring_coverage' and period_grain = 'day'"
    ).fetchone() == (0,)


def test_calibration_agreement(mart):
    # k1: customer error T, F, F -> majority F, 2 of 3 agree; "defective" is T, F, F too (Q1's
    # critical error is a defect), 2 of 3; business and compliance all F, 3 of 3 each:
    # 2 + 2 + 3 + 3 = 10 of 12, at P1 and the organisation.
    for level, unit in (("program", "P1"), ("organisation", "organisation")):
        num, den, value, *_ = metric(mart, "calibration_agreement", level, unit, "month", "2026-03-01")
        assert (num, den) == (10, 12) and value == pytest.approx(10 / 12)


def test_csat_and_dsat_on_a_declared_1_to_10_scale(mart):
    # P3, 10 March: 10, 9, 8, 1 valid (s7 has no scale; s8 is 'other'): top two 2/4, bottom 1/4.
    assert metric(mart, "csat_top2", "program", "P3", "day", "2026-03-10")[:3] == (2, 4, 0.5)
    assert metric(mart, "dsat_bottom1", "program", "P3", "day", "2026-03-10")[:3] == (1, 4, 0.25)
    # 4 responses: not indicative
    assert metric(mart, "csat_top2", "program", "P3", "month", "2026-03-01")[6:] == (False, "not_indicative")


def test_surveys_count_on_the_contacts_day(mart):
    # s1 answered 1 April about a call on 31 March (London): March; s2 (unknown contact): April.
    assert metric(mart, "csat_top2", "program", "P1", "day", "2026-03-31")[:3] == (1, 1, 1)
    assert metric(mart, "csat_top2", "program", "P1", "day", "2026-04-01")[:3] == (0, 1, 0)
    # the organisation's March: s1, s3, s4 top two of s1, s3-s6: 3/5; dsat s6: 1/5
    assert metric(mart, "csat_top2", "organisation", "organisation", "month", "2026-03-01")[:2] == (3, 5)
    assert metric(mart, "dsat_bottom1", "organisation", "organisation", "month", "2026-03-01")[:2] == (1, 5)
    assert metric(mart, "dsat_bottom1", "organisation", "organisation", "month", "2026-04-01")[:2] == (1, 1)


def test_customer_effort_at_organisation_level_only(mart):
    # effort 1, 2 (low: the bottom two of 1-7) and 5: 2/3.
    num, den, value, n, *_, countable, reason = metric(
        mart, "customer_effort", "organisation", "organisation", "month", "2026-03-01"
    )
    assert (num, den, n) == (2, 3, 3) and value == pytest.approx(2 / 3)
    assert reason == "not_indicative"
    assert mart.execute(
        "select count(*) from mart.metric_values "
        "where metric_id = 'customer_effort' and unit_level <> 'organisation'"
    ).fetchone() == (0,)


def test_no_value_is_null_without_a_reason(mart):
    assert mart.execute(
        "select count(*) from mart.metric_values where value is null and not_countable_reason is null"
    ).fetchone() == (0,)
