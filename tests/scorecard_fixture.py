"""A hand-made published mart holding the five scoring tables of the scoring contract
(`mart.metric_targets`, `mart.metric_status`, `mart.metric_period_status`, `mart.scorecard_items`,
`mart.scorecard_summary`), so the scorecard and report tests need no scoring models.

The rows are chosen by hand to be consistent with SCORING.md (they are test data, not a second
implementation): 12 months (Sep 2025 - Aug 2026, scoring month Aug 2026), the organisation and
two sites, eight metrics with targets (and two metric-units of a program).

- Organisation: its eight metrics plus two of program P01 (counted in the organisation's scope):
  7 of 10 meet level (M 70%), 1 improving (M + I 80%), 2,020 of 2,040 points (Category 4.0 plus a
  self-assessed item 2.15, 20 of its 40) >= the 1,938 needed, but:
- site MNL fails the 50/75 rule (M 25%, M + I 50%): 50 rule 100 - 2 x 25 = 50%, 75 rule
  100 - 4/3 x 25 = 66.7%, so the organisation is NOT certified and the verdict names MNL;
- site LON meets everything (one metric improving, one not-countable month).
- voice_service_level's target changes from 0.80 to 0.85 in March 2026 (a step in the chart);
  occupancy is a band metric (0.75-0.85); MNL's system_uptime has 5 months of data (provisional).

`publish_scorecard_mart(home)` writes these tables into a working warehouse and publishes it with
the real `cxmart.publish.publish`, so the tests read the real published layout. To test against
the real scoring models instead, replace its body by a pipeline run on a hand-made centre
(`conftest.built_mart` / `cxmart.pipeline.run`) and keep the assertions that do not depend on
the hand-chosen numbers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from cxmart import publish
from cxmart.config import Settings

PERIOD_START = dt.date(2025, 9, 1)
SCORING_MONTH = dt.date(2026, 8, 1)
MONTHS = [dt.date(2025 + (8 + i) // 12, (8 + i) % 12 + 1, 1) for i in range(12)]
TARGET_CHANGE = dt.date(2026, 3, 1)
ORG = "organisation"

# metric_id -> (name, type, item, direction, target_value, target_low, target_high)
METRICS = {
    "csat_top2": ("overall satisfaction", "cx", "4.1", "higher_is_better", 0.80, None, None),
    "cost_per_contact": ("cost per handled contact", "cost", "4.2a", "lower_is_better", 4.50, None, None),
    "voice_service_level": ("service level", "service", "4.3", "higher_is_better", 0.80, None, None),
    "voice_aht": ("average handle time", "efficiency", "4.3", "lower_is_better", 360.0, None, None),
    "cea_customer": (
        "customer critical error accuracy",
        "quality",
        "4.3",
        "higher_is_better",
        0.95,
        None,
        None,
    ),
    "occupancy": ("occupancy", "efficiency", "4.3", "band", None, 0.75, 0.85),
    "system_uptime": ("uptime", "service", "4.4", "higher_is_better", 0.995, None, None),
    "schedule_adherence": ("schedule adherence", "support", "4.5", "higher_is_better", 0.90, None, None),
}

# unit -> (metric -> status over the period: L level, I improving, N not met). Program P01's two
# metric-units count in the organisation's scope (scored below it, counted once).
UNIT_LEVEL = {ORG: "organisation", "LON": "site", "MNL": "site", "P01": "program"}
STATUS = {
    ORG: dict(
        csat_top2="L",
        cost_per_contact="L",
        voice_service_level="I",
        voice_aht="L",
        cea_customer="L",
        occupancy="N",
        system_uptime="L",
        schedule_adherence="L",
    ),
    "LON": dict(
        csat_top2="L",
        cost_per_contact="L",
        voice_service_level="L",
        voice_aht="L",
        cea_customer="L",
        occupancy="I",
        system_uptime="L",
        schedule_adherence="L",
    ),
    "MNL": dict(
        csat_top2="N",
        cost_per_contact="L",
        voice_service_level="N",
        voice_aht="I",
        cea_customer="N",
        occupancy="N",
        system_uptime="L",
        schedule_adherence="I",
    ),
    "P01": dict(voice_service_level="L", cea_customer="N"),
}
NOT_COUNTABLE = {("LON", "csat_top2", dt.date(2026, 2, 1)): "not_indicative"}
FIVE_MONTHS = {("MNL", "system_uptime")}


def target_in_force(metric_id: str, month: dt.date) -> tuple:
    _, _, _, direction, value, low, high = METRICS[metric_id]
    if metric_id == "voice_service_level" and month >= TARGET_CHANGE:
        value = 0.85
    return direction, value, low, high


def value_for(metric_id: str, status: str, i: int, month: dt.date) -> float:
    """A monthly value: L on the good side of the target, I moving from bad to good over the
    months (meeting only in the last three), N on the bad side throughout."""
    direction, value, low, high = target_in_force(metric_id, month)
    if direction == "band":
        if status == "L":
            return 0.80 + (0.01 if i % 2 else -0.01)
        if status == "I":
            return round(0.93 - 0.01 * i, 4)  # 0.93 .. 0.82: inside the band from month 9
        return 0.90 + (0.005 if i % 2 else 0.0)
    sign = 1 if direction == "higher_is_better" else -1
    scale = abs(value) * (0.02 if value < 10 else 0.05)
    if 0.9 <= value < 1:  # a share near 100%: keep the values below 1
        scale = (1 - value) / 3
    if status == "L":
        return round(value + sign * scale * (1 + (i % 3) / 2), 4)
    if status == "I":
        return round(value + sign * scale * (i - 9) / 2, 4)  # meets from month index 9
    return round(value - sign * scale * (2 + (i % 2)), 4)


def meets(direction, value, target, low, high) -> bool:
    if value is None:
        return False
    if direction == "band":
        return low <= value <= high
    return value >= target if direction == "higher_is_better" else value <= target


def _status_rows():
    rows = []
    for scope, statuses in STATUS.items():
        level = UNIT_LEVEL[scope]
        for metric_id, status in statuses.items():
            name, mtype, item, *_ = METRICS[metric_id]
            for i, month in enumerate(MONTHS):
                if (scope, metric_id) in FIVE_MONTHS and i < 7:
                    continue
                direction, target, low, high = target_in_force(metric_id, month)
                value = value_for(metric_id, status, i, month)
                met = meets(direction, value, target, low, high)
                reason = NOT_COUNTABLE.get((scope, metric_id, month))
                rows.append(
                    (
                        metric_id,
                        name,
                        mtype,
                        item,
                        level,
                        scope,
                        month,
                        value,
                        direction,
                        target,
                        low,
                        high,
                        "high_performance_benchmark",
                        met,
                        reason is None,
                        reason,
                        met and reason is None,
                    )
                )
    return rows


def _period_rows(status_rows):
    rows = []
    for scope, statuses in STATUS.items():
        level = UNIT_LEVEL[scope]
        for metric_id, status in statuses.items():
            name, mtype, item, *_ = METRICS[metric_id]
            mine = [r for r in status_rows if r[0] == metric_id and r[5] == scope]
            n, met = len(mine), sum(1 for r in mine if r[16])
            level_pct = 100.0 * met / n
            improving = status == "I"
            slope, t_stat = (0.9, 4.12) if improving else (0.1, 0.35) if status == "N" else (0.0, 0.0)
            verdict = {"L": "meets level", "I": "improving", "N": "not met"}[status]
            why = f"met {met} of {n} months ({level_pct:.0f}%)" + (
                "" if status == "L" else f"; slope {slope} pts/month, t={t_stat} vs 1.81: {verdict}"
            )
            rows.append(
                (
                    SCORING_MONTH,
                    PERIOD_START,
                    SCORING_MONTH,
                    metric_id,
                    name,
                    mtype,
                    item,
                    level,
                    scope,
                    n,
                    met,
                    level_pct,
                    status == "L",
                    "regression",
                    n,
                    None if status == "L" else slope,
                    None if status == "L" else t_stat,
                    None if status == "L" else 1.81,
                    improving,
                    {"L": "level", "I": "improving", "N": "not_met"}[status],
                    why,
                    n < 6,
                )
            )
    return rows


# scope -> rows of (item, part, counted, level, improving, M, I, score, available, earned); scores
# worked out by SCORING.md section 4 from the statuses above.
ITEM_NAMES = {
    "2.15": "standard review",
    "4.1": "customer experience",
    "4.2a": "total cost",
    "4.3": "human-assisted channels",
    "4.4": "digital-assisted channels",
    "4.5": "key support processes",
    "4.6": "performance achievement",
}
SELF_ASSESSED = {"2.15": (100.0, 50.0)}  # item -> (approach %, deployment %), SCORING.md section 6
ITEMS = {
    ORG: [
        ("2.15", "item", None, None, None, None, None, 50.0, 40, 20),  # approach 100, deployment 50
        ("4.1", "item", 1, 1, 0, 100.0, 0.0, 100.0, 500, 500),
        ("4.2a", "item", 1, 1, 0, 100.0, 0.0, 100.0, 200, 200),
        # with P01's two: service 100 (M 50, I 50), quality 100 (M 50), efficiency 100 (M 50)
        ("4.3", "item", 6, 3, 1, 50.0, 16.667, 100.0, 400, 400),
        ("4.3", "service", 2, 1, 1, 50.0, 50.0, 100.0, None, None),
        ("4.3", "quality", 2, 1, 0, 50.0, 0.0, 100.0, None, None),
        ("4.3", "efficiency", 2, 1, 0, 50.0, 0.0, 100.0, None, None),
        ("4.4", "item", 1, 1, 0, 100.0, 0.0, 100.0, 350, 350),
        ("4.4", "service", 1, 1, 0, 100.0, 0.0, 100.0, None, None),
        ("4.5", "item", 1, 1, 0, 100.0, 0.0, 100.0, 200, 200),
        ("4.6", "item", 10, 7, 1, 70.0, 10.0, 100.0, 350, 350),
        ("4.6", "50_rule", 10, 7, 1, 70.0, 10.0, 100.0, None, None),
        ("4.6", "75_rule", 10, 7, 1, 70.0, 10.0, 100.0, None, None),
    ],
    "LON": [
        ("4.1", "item", 1, 1, 0, 100.0, 0.0, 100.0, 500, 500),
        ("4.2a", "item", 1, 1, 0, 100.0, 0.0, 100.0, 200, 200),
        ("4.3", "item", 4, 3, 1, 75.0, 25.0, 100.0, 400, 400),
        ("4.3", "service", 1, 1, 0, 100.0, 0.0, 100.0, None, None),
        ("4.3", "quality", 1, 1, 0, 100.0, 0.0, 100.0, None, None),
        ("4.3", "efficiency", 2, 1, 1, 50.0, 50.0, 100.0, None, None),
        ("4.4", "item", 1, 1, 0, 100.0, 0.0, 100.0, 350, 350),
        ("4.4", "service", 1, 1, 0, 100.0, 0.0, 100.0, None, None),
        ("4.5", "item", 1, 1, 0, 100.0, 0.0, 100.0, 200, 200),
        ("4.6", "item", 8, 7, 1, 87.5, 12.5, 100.0, 350, 350),
        ("4.6", "50_rule", 8, 7, 1, 87.5, 12.5, 100.0, None, None),
        ("4.6", "75_rule", 8, 7, 1, 87.5, 12.5, 100.0, None, None),
    ],
    "MNL": [
        ("4.1", "item", 1, 0, 0, 0.0, 0.0, 0.0, 500, 0),
        ("4.2a", "item", 1, 1, 0, 100.0, 0.0, 100.0, 200, 200),
        # service 0, quality 0, efficiency 25 (M 0, I 50): mean 8.33% of 400
        ("4.3", "item", 4, 0, 1, 0.0, 25.0, 8.333, 400, 33.3),
        ("4.3", "service", 1, 0, 0, 0.0, 0.0, 0.0, None, None),
        ("4.3", "quality", 1, 0, 0, 0.0, 0.0, 0.0, None, None),
        ("4.3", "efficiency", 2, 0, 1, 0.0, 50.0, 25.0, None, None),
        ("4.4", "item", 1, 1, 0, 100.0, 0.0, 100.0, 350, 350),
        ("4.4", "service", 1, 1, 0, 100.0, 0.0, 100.0, None, None),
        ("4.5", "item", 1, 0, 1, 0.0, 100.0, 50.0, 200, 100),
        # 50 rule 100 - 2 x (50 - 25) = 50; 75 rule 100 - 4/3 x (75 - 50) = 66.67; halves: 58.33% of 350
        ("4.6", "item", 8, 2, 2, 25.0, 25.0, 58.333, 350, 204.2),
        ("4.6", "50_rule", 8, 2, 2, 25.0, 25.0, 50.0, None, None),
        ("4.6", "75_rule", 8, 2, 2, 25.0, 25.0, 66.667, None, None),
    ],
}

MNL_50 = "site MNL: 50 rule M 25.0% < 50% (short 25.0 points)"
MNL_75 = "site MNL: 75 rule M+I 50.0% < 75% (short 25.0 points)"
MNL_TOTAL = "site MNL: 887.5 points < 1,900 needed (short 1,012.5 points)"

# scope -> (self_assessed, available, earned, score %, needed, M, M+I, 50, 75, approach_all_100,
#           certified, failed_conditions, renewal met %, met or improving %, extension)
SUMMARY = {
    ORG: (True, 2040, 2020, 99.02, 1938, 70.0, 80.0, True, True, True, False, [MNL_50, MNL_75])
    + (70.0, 80.0, True),
    "LON": (False, 2000, 2000, 100.0, 1900, 87.5, 100.0, True, True, None, True, [], 87.5, 100.0, True),
    "MNL": (
        False,
        2000,
        887.5,
        44.375,
        1900,
        25.0,
        50.0,
        False,
        False,
        None,
        False,
        [MNL_50, MNL_75, MNL_TOTAL],
        25.0,
        50.0,
        False,
    ),
}

DDL = """
create schema if not exists mart;
create table mart.metric_values (metric_id varchar, unit_level varchar, unit_id varchar,
    period_grain varchar, period_start date, value double, is_countable boolean,
    not_countable_reason varchar);
create table mart.metric_targets (metric_id varchar, unit_level varchar, unit_id varchar,
    target_value double, target_low double, target_high double, direction varchar, basis varchar,
    effective_from date, effective_to date, note varchar);
create table mart.metric_status (metric_id varchar, metric_name varchar, metric_type varchar,
    copc_item varchar, unit_level varchar, unit_id varchar, month date, value double,
    direction varchar, target_value double, target_low double, target_high double,
    target_basis varchar, meets_target boolean, is_countable boolean, not_countable_reason varchar,
    counts_as_met boolean);
create table mart.metric_period_status (scoring_month date, period_start date, period_end date,
    metric_id varchar, metric_name varchar, metric_type varchar, copc_item varchar,
    unit_level varchar, unit_id varchar, months_with_data integer, months_met integer,
    level_pct double, meets_level boolean, trend_rule varchar, trend_n integer, slope double,
    t_stat double, t_critical double, is_improving boolean, status varchar, why varchar,
    is_provisional boolean);
create table mart.scorecard_items (scope_level varchar, scope_id varchar, edition varchar,
    category varchar, item varchar, item_name varchar, part varchar, metrics_counted integer,
    metrics_level integer, metrics_improving integer, m_pct double, i_pct double,
    approach_pct double, deployment_pct double, score_pct double, points_available double,
    points_earned double, is_applicable boolean, note varchar);
create table mart.scorecard_summary (scope_level varchar, scope_id varchar, edition varchar,
    scoring_month date, period_start date, period_end date, trend_rule varchar,
    is_provisional boolean, self_assessed boolean, points_available double,
    points_earned double, score_pct double, points_needed double, m_pct double, mi_pct double,
    rule_50_met boolean, rule_75_met boolean, approach_all_100 boolean, certified boolean,
    failed_conditions varchar[], renewal_met_pct double, renewal_met_or_improving_pct double,
    renewal_extension boolean);
"""


def write_scoring_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The five scoring tables (and a token metric_values) with the hand-chosen rows."""
    con.execute(DDL)
    for metric_id, (_, _, _, direction, value, low, high) in METRICS.items():
        if metric_id == "voice_service_level":
            con.execute(
                "insert into mart.metric_targets values (?, 'organisation', '*', 0.80, null, null, ?, "
                "'high_performance_benchmark', '2025-01-01', '2026-02-28', 'before the 2026 plan'), "
                "(?, 'site', '*', 0.80, null, null, ?, 'high_performance_benchmark', '2025-01-01', "
                "'2026-02-28', 'before the 2026 plan'), "
                "(?, 'organisation', '*', 0.85, null, null, ?, 'client_requirement', '2026-03-01', null, "
                "'2026 plan'), (?, 'site', '*', 0.85, null, null, ?, 'client_requirement', '2026-03-01', "
                "null, '2026 plan')",
                [metric_id, direction] * 4,
            )
            continue
        for level in ("organisation", "site", "program"):
            con.execute(
                "insert into mart.metric_targets values (?, ?, '*', ?, ?, ?, ?, "
                "'high_performance_benchmark', '2025-01-01', null, null)",
                [metric_id, level, value, low, high, direction],
            )
    status = _status_rows()
    con.executemany(f"insert into mart.metric_status values ({', '.join(['?'] * 17)})", status)
    con.execute(
        "insert into mart.metric_values select metric_id, unit_level, unit_id, 'month', month, value, "
        "is_countable, not_countable_reason from mart.metric_status"
    )
    con.executemany(
        f"insert into mart.metric_period_status values ({', '.join(['?'] * 22)})", _period_rows(status)
    )
    for scope, rows in ITEMS.items():
        level = "organisation" if scope == ORG else "site"
        for item, part, n, lv, imp, m, i, score, avail, earned in rows:
            approach, deployment = SELF_ASSESSED.get(item, (None, None))
            con.execute(
                f"insert into mart.scorecard_items values ({', '.join(['?'] * 19)})",
                [level, scope, "CSP", item.split(".")[0] + ".0", item, ITEM_NAMES[item], part, n, lv, imp]
                + [m, i, approach, deployment, score, avail, earned, True, None],
            )
    for scope, s in SUMMARY.items():
        level = "organisation" if scope == ORG else "site"
        con.execute(
            f"insert into mart.scorecard_summary values ({', '.join(['?'] * 23)})",
            [level, scope, "CSP", SCORING_MONTH, PERIOD_START, SCORING_MONTH, "regression", False, *s],
        )


def publish_scorecard_mart(home: Path, run_id: str = "fixture-run") -> Settings:
    """Write the scoring tables into `home`'s working warehouse and publish it for real."""
    settings = Settings.resolve(home=home)
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.warehouse))
    try:
        write_scoring_tables(con)
    finally:
        con.close()
    publish.publish(settings, run_id)
    return settings
