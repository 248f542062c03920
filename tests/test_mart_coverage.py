"""The mart on the sample centre (the demo's default: six months, 60 CSS positions, two sites):
every metric id of METRICS.md at the unit levels and grains its scoring item needs, and roll-ups
that equal recomputation from the raw exports."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from cxmart import pipeline
from cxmart.config import Settings
from cxmart.generator import generate

from conftest import TEST_KEY

SEED = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "metric_definitions.csv"
DEFINITIONS = {r["metric_id"]: r for r in csv.DictReader(SEED.open())}

# METRICS.md sections 1-3: every id at queue, program, site and organisation level, by day and
# by month (issue 3).
SERVICE_LEVELS = ("queue", "program", "site", "organisation")
SERVICE = [
    m
    for m, d in DEFINITIONS.items()
    if m.startswith(("voice_", "chat_", "ticket_", "case_")) or m == "repeat_contact_rate"
]
# METRICS.md sections 4-9, at the levels "Required metrics per scoring item" names (program and
# channel for 4.1, organisation for effort and 4.2a cost, program for 4.3/4.4, organisation and
# program for 4.5), plus site where the source has one; by day where a day is meaningful.
DAY_AND_MONTH, MONTH = ("day", "month"), ("month",)
QA = ("program", "site", "channel", "organisation")
WFM = ("program", "site", "organisation")
FORECAST = ("queue", "program", "site", "organisation")
BOT = ("program", "organisation")
REQUIRED = {
    **{m: (QA, DAY_AND_MONTH) for m in ("cea_customer", "cea_business", "cea_compliance", "defect_rate")},
    "monitoring_coverage": (("program", "site", "organisation"), MONTH),
    "calibration_agreement": (("program", "organisation"), MONTH),
    "csat_top2": (("program", "channel", "site", "organisation"), DAY_AND_MONTH),
    "dsat_bottom1": (("program", "channel", "site", "organisation"), DAY_AND_MONTH),
    "customer_effort": (("organisation",), DAY_AND_MONTH),
    **{m: (WFM, DAY_AND_MONTH) for m in ("occupancy", "utilisation", "schedule_adherence", "absenteeism")},
    **{
        f"forecast_{kind}_{horizon}": (FORECAST, DAY_AND_MONTH if horizon == "scheduling" else MONTH)
        for kind in ("accuracy", "bias", "within_tolerance")
        for horizon in ("scheduling", "staffing")
    },
    **{
        f"forecast_accuracy_{h}_aht": (FORECAST, DAY_AND_MONTH if h == "scheduling" else MONTH)
        for h in ("scheduling", "staffing")
    },
    "attrition_site": (("site", "organisation"), MONTH),
    "attrition_program": (("program",), MONTH),
    **{
        m: (("program", "organisation"), MONTH)
        for m in ("hiring_timeliness", "hiring_quality", "training_quality")
    },
    **{
        m: (BOT, DAY_AND_MONTH)
        for m in (
            "containment_rate",
            "recognition_rate",
            "escalation_accuracy",
            "digital_resolution_rate",
            "messages_per_conversation",
            "system_uptime",
        )
    },
    "cost_per_contact": (("program", "organisation"), MONTH),
}
# Families whose rollup above the queue counts something else than the queue does (voice: the
# queue counts segments, the levels above count each contact once).
SEGMENT_COUNTED = ("voice_",)


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    home = tmp_path_factory.mktemp("coverage") / "home"
    # March to August 2026: month-end snapshots, DST in both zones, holidays, hires and leavers.
    generate(home / "landing")  # the demo's default sample centre
    settings = Settings.resolve(home=home)
    report, summary = pipeline.run(settings, TEST_KEY)
    assert summary.success and report.quarantined == 0, summary.failures
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield con
    con.close()


def present(con, grain: str) -> set[tuple[str, str]]:
    return set(
        con.execute(
            "select distinct metric_id, unit_level from mart.metric_values where period_grain = ?",
            [grain],
        ).fetchall()
    )


@pytest.mark.parametrize("grain", ["day", "month"])
def test_every_service_metric_at_every_required_level(mart, grain):
    have = present(mart, grain)
    missing = sorted((m, lvl) for m in SERVICE for lvl in SERVICE_LEVELS if (m, lvl) not in have)
    assert missing == []


def test_every_metric_of_sections_4_to_9_at_its_required_levels(mart):
    # the dictionary and this table name the same metrics: none forgotten on either side
    assert set(REQUIRED) == set(DEFINITIONS) - set(SERVICE)
    have = {grain: present(mart, grain) for grain in ("day", "month")}
    missing = sorted(
        (m, level, grain)
        for m, (levels, grains) in REQUIRED.items()
        for level in levels
        for grain in grains
        if (m, level) not in have[grain]
    )
    assert missing == []


def test_every_row_is_its_parts(mart):
    # value = numerator / denominator for rates (NULL exactly when the denominator is not > 0),
    # value = numerator for counts; countable exactly when there is no reason.
    bad = mart.execute(
        """
        select count(*) from mart.metric_values v
        join reference.metric_definitions d using (metric_id)
        where
            (d.aggregation = 'ratio' and denominator > 0 and abs(value - numerator / denominator) > 1e-9)
            or (d.aggregation = 'ratio' and not denominator > 0 and value is not null)
            or (d.aggregation = 'count' and value is distinct from numerator)
            or (is_countable = (not_countable_reason is not null))
        """
    ).fetchone()[0]
    assert bad == 0


def test_rollups_over_the_whole_period_agree_across_levels(mart):
    # Over every day of the sample, each level holds every contact exactly once, whatever its
    # clock (site days or organisation days): the summed parts agree level by level, and the
    # months sum to the days. Backlog is a snapshot, not a flow, and is left out. So is the
    # denominator of chat concurrency: the union of a CSS's chat intervals is taken per local day,
    # and the site's and the organisation's days cut overlapping chats at different midnights.
    rows = mart.execute(
        """
        select metric_id, unit_level, period_grain,
               round(sum(numerator), 6), round(sum(coalesce(denominator, 0)), 6)
        from mart.metric_values
        where metric_id not like 'ticket_backlog%' and unit_level <> 'agent'
        group by all
        """
    ).fetchall()
    totals: dict[str, set] = {}
    for metric_id, level, _grain, num, den in rows:
        if metric_id not in SERVICE:
            continue
        if level == "queue" and metric_id.startswith(SEGMENT_COUNTED):
            continue
        totals.setdefault(metric_id, set()).add((num, None if metric_id == "chat_concurrency" else den))
    disagree = {m: t for m, t in totals.items() if len(t) != 1}
    assert disagree == {}


def test_volumes_equal_counts_made_straight_from_raw(mart):
    def org_total(metric_id):
        return mart.execute(
            "select sum(numerator) from mart.metric_values where metric_id = ? "
            "and unit_level = 'organisation' and period_grain = 'day'",
            [metric_id],
        ).fetchone()[0]

    raw = {
        "ticket_received": "select count(*) from raw.tickets where received_at is not null",
        "ticket_completed": "select count(*) from raw.tickets where completed_at is not null",
        "chat_offered": "select count(*) from raw.chat_sessions where requested_at is not null",
    }
    for metric_id, sql in raw.items():
        assert org_total(metric_id) == mart.execute(sql).fetchone()[0], metric_id
