"""People metrics in mart.metric_values through a real load and `dbt build`, on a hand-made roster
whose every expected value is worked out by hand from METRICS.md section 7."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import built_mart, csv_text, metric, write

# One site (LON), programs A and B of client C1. Separation dates are each assignment's last day.
ROSTER = [
    # employee, program, type, hired, contract end, separated, separation type, backfilled
    ("p1", "A", "permanent", "2025-01-01", "", "", "", ""),
    ("p2", "A", "permanent", "2025-01-01", "", "2026-02-10", "involuntary", ""),  # dismissed
    # moves A -> B with back-fill: a leaver of A only
    ("p3", "A", "permanent", "2025-01-01", "", "2026-03-05", "transfer", "true"),
    ("p3", "B", "permanent", "2026-03-06", "", "", "", ""),
    # the same move without back-fill: a leaver nowhere
    ("p4", "A", "permanent", "2025-01-01", "", "2026-03-15", "transfer", "false"),
    ("p4", "B", "permanent", "2026-03-16", "", "", "", ""),
    # temporary, leaves one day before the contract end (a leaver) / on the end date (not one)
    ("p5", "A", "temporary", "2025-12-01", "2026-03-20", "2026-03-19", "voluntary", ""),
    ("p6", "B", "temporary", "2025-12-01", "2026-03-31", "2026-03-31", "involuntary", ""),
    ("p7", "B", "agency", "2025-01-01", "", "", "", ""),
]  # fmt: skip
# New hires: (employee, program, hired, requested start, training completed, proficient)
HIRES = [
    ("n1", "B", "2026-02-02", "2026-02-02", "2026-02-08", "2026-02-20"),  # on time; proficient
    ("n2", "A", "2026-02-16", "2026-02-09", "2026-02-22", ""),  # a week late; never proficient
]
# Window: the month of the first separation (p2, 10 Feb) to the last roster day (p6, 31 Mar).


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    home = tmp_path_factory.mktemp("people") / "home"
    landing = home / "landing"
    write(landing, "sites", "sites.csv", csv_text("sites", [
        {"site_id": "LON", "time_zone": "Europe/London"},
    ]))  # fmt: skip
    write(landing, "programs", "programs.csv", csv_text("programs", [
        {"program_id": "A", "client_id": "C1"},
        {"program_id": "B", "client_id": "C1"},
    ]))  # fmt: skip
    rows = [
        {
            "employee_id": e, "site_id": "LON", "program_id": p, "role": "css",
            "employment_type": et, "hired_at": h, "contract_end_at": ce, "separated_at": s,
            "separation_type": st, "backfilled": b,
        }
        for e, p, et, h, ce, s, st, b in ROSTER
    ] + [
        {
            "employee_id": e, "site_id": "LON", "program_id": p, "role": "css",
            "employment_type": "permanent", "hired_at": h, "requested_start_at": r,
            "training_completed_at": t, "proficient_at": pr,
        }
        for e, p, h, r, t, pr in HIRES
    ] + [
        # not CSS: never counted, and its later separation does not extend the window
        {"employee_id": "SUP1", "site_id": "LON", "program_id": "A", "role": "supervisor",
         "employment_type": "permanent", "hired_at": "2025-01-01", "separated_at": "2026-04-15",
         "separation_type": "voluntary"},
    ]  # fmt: skip
    write(landing, "staff_roster", "roster.csv", csv_text("staff_roster", rows))
    yield from built_mart(home)


def test_program_a_counts_the_backfilled_move_the_site_does_not(mart):
    # March (31 days), program A CSS-days: p1 31 + p3 5 (1-5) + p4 15 (1-15) + p5 19 (1-19)
    # + n2 31 = 101. Leavers of A: p3 (back-filled move), p5 (temporary, a day early); not p4
    # (move without back-fill): 2 / (101 / 365) = 730 / 101 = 7.23 a year.
    num, den, value, countable, _ = metric(mart, "attrition_program", "program", "A", "month", "2026-03-01")
    assert (num, den * 365) == (2, pytest.approx(101)) and value == pytest.approx(730 / 101)
    assert countable
    # Site and organisation: every CSS once a day, p1, p3, p4, n2, p6, p7, n1 all 31 days and
    # p5 19: 6 x 31 + 31 + 19 = 236 CSS-days; the only leaver is p5 (p3 and p4 moved, p6's
    # contract ran out): 1 / (236 / 365) = 365 / 236 = 1 / (236 / 31) x 365 / 31.
    for level, unit in (("site", "LON"), ("organisation", "organisation")):
        num, den, value, *_ = metric(mart, "attrition_site", level, unit, "month", "2026-03-01")
        assert (num, den * 365) == (1, pytest.approx(236)), level
        assert value == pytest.approx((1 / (236 / 31)) * 365 / 31)
    # Client C1: p3's move stays inside C1, so only p5.
    num, den, *_ = metric(mart, "attrition_program", "client", "C1", "month", "2026-03-01")
    assert (num, den * 365) == (1, pytest.approx(236))


def test_program_b_gains_movers_without_a_separation(mart):
    # March, B: p3 26 (6-31) + p4 16 (16-31) + p6 31 + p7 31 + n1 31 = 135 CSS-days; p6 left
    # on her contract end date: not a leaver.
    num, den, value, *_ = metric(mart, "attrition_program", "program", "B", "month", "2026-03-01")
    assert (num, den * 365, value) == (0, pytest.approx(135), 0)


def test_february_is_annualised_over_28_days_from_daily_counts(mart):
    # February, A: p1 28 + p2 10 (dismissed, last day 10th) + p3 28 + p4 28 + p5 28 + n2 13
    # (16-28) = 135 CSS-days: average 135 / 28 = 4.82, not (start 5 + end 5) / 2 = 5.
    # 1 / (135 / 28) x 365 / 28 = 365 / 135 = 2.704 a year.
    num, den, value, *_ = metric(mart, "attrition_program", "program", "A", "month", "2026-02-01")
    assert (num, den * 365) == (1, pytest.approx(135))
    assert value == pytest.approx(2.7037, abs=1e-4) and value != pytest.approx(1 / 5 * 365 / 28)
    # Organisation: A 135 + B (p6 28, p7 28, n1 27) 83 = 218; the one leaver is p2.
    num, den, value, *_ = metric(
        mart, "attrition_site", "organisation", "organisation", "month", "2026-02-01"
    )
    assert (num, den * 365) == (1, pytest.approx(218)) and value == pytest.approx(365 / 218)


def test_attrition_has_month_rows_only_inside_the_window(mart):
    periods = mart.execute(
        "select distinct period_grain, period_start from mart.metric_values "
        "where metric_id like 'attrition%' order by 2"
    ).fetchall()
    assert periods == [("month", dt.date(2026, 2, 1)), ("month", dt.date(2026, 3, 1))]


def test_hiring_timeliness_and_training_quality(mart):
    # n1 hired on its requested day, n2 a week after: 1 of 2 in February.
    assert metric(mart, "hiring_timeliness", "organisation", "organisation", "month", "2026-02-01")[:3] == (
        1,
        2,
        0.5,
    )
    assert metric(mart, "hiring_timeliness", "program", "A", "day", "2026-02-09")[:3] == (0, 1, 0)
    # n1 proficient 12 days after training, n2 never (22 Feb + 30 = 24 Mar is on the roster):
    # 1 of 2; February's month is settled on 28 Feb + 30 = 30 Mar.
    assert metric(mart, "training_quality", "site", "LON", "month", "2026-02-01")[:3] == (1, 2, 0.5)
    assert metric(mart, "training_quality", "program", "B", "day", "2026-02-08")[:3] == (1, 1, 1)
    # February's hires are 3 months on only on 28 May: no hiring_quality row yet.
    assert mart.execute(
        "select count(*) from mart.metric_values where metric_id = 'hiring_quality'"
    ).fetchone() == (0,)


def test_no_value_is_null_without_a_reason(mart):
    assert mart.execute(
        "select count(*) from mart.metric_values where value is null and not_countable_reason is null"
    ).fetchone() == (0,)
