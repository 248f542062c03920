"""The COPC scorecard as the published mart holds it: the five scoring tables read read-only into
plain dataclasses for `cxmart score` and `cxmart report`.

Every score, level, trend and verdict is computed by the dbt scoring models (the contract:
`mart.metric_targets`, `mart.metric_status`, `mart.metric_period_status`, `mart.scorecard_items`,
`mart.scorecard_summary`); this module only reads, orders and formats them. It reads the
published mart (`mart.duckdb`, write-audit-publish), never the working warehouse, so the
scorecard always belongs to a gated `metric_values` (DECISIONLOG: "The Scorecard Is Read from the
Published Mart, and Only Formatted in Python").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from .config import Settings
from .publish import PUBLISHED_SCHEMAS, open_published

# the schema the mart's tables land in inside the published file (cxmart.publish)
PUBLISHED_MART_SCHEMA = PUBLISHED_SCHEMAS["mart"]

ORGANISATION = "organisation"
SITE = "site"
UNIT_ORDER = ("organisation", "site", "client", "program", "channel", "queue")
# Order of the parts of an item: its own row, then 4.3/4.4's metric types, then 4.6's two rules.
PART_ORDER = ("item", "service", "quality", "sales", "efficiency", "50_rule", "75_rule")
PART_LABEL = {
    "service": "service metrics",
    "quality": "quality metrics",
    "sales": "sales metrics",
    "efficiency": "efficiency metrics",
    "50_rule": "50 rule (M ≥ 50%)",
    "75_rule": "75 rule (M + I ≥ 75%)",
}
TREND_RULE_TEXT = {
    "regression": "regression: ordinary least squares slope of the monthly value on the month index "
    "in the favourable direction, significant at p < 0.05 (one-sided t-test, at least 6 months)",
    "consecutive": "consecutive: each of the last months improved on the month before",
}


class ScorecardUnavailable(Exception):
    """No scorecard can be read; the message names the file and what to do."""


@dataclass(frozen=True)
class Summary:
    """One scope's verdict (mart.scorecard_summary)."""

    scope_level: str
    scope_id: str
    edition: str
    scoring_month: dt.date
    period_start: dt.date
    period_end: dt.date
    trend_rule: str
    is_provisional: bool
    self_assessed: bool
    points_available: float | None
    points_earned: float | None
    score_pct: float | None
    points_needed: float | None
    m_pct: float | None
    mi_pct: float | None
    rule_50_met: bool | None
    rule_75_met: bool | None
    approach_all_100: bool | None
    certified: bool
    failed_conditions: list[str]
    renewal_met_pct: float | None
    renewal_met_or_improving_pct: float | None
    renewal_extension: bool | None

    @property
    def label(self) -> str:
        return "Organisation" if self.scope_level == ORGANISATION else f"Site {self.scope_id}"

    @property
    def points_short(self) -> float:
        """Points still missing to reach the certification threshold (0 when reached)."""
        if self.points_needed is None or self.points_earned is None:
            return 0.0
        return max(0.0, self.points_needed - self.points_earned)


@dataclass(frozen=True)
class Item:
    """One item, or one part of an item, of one scope (mart.scorecard_items)."""

    scope_level: str
    scope_id: str
    edition: str
    category: str
    item: str
    item_name: str
    part: str
    metrics_counted: int | None
    metrics_level: int | None
    metrics_improving: int | None
    m_pct: float | None
    i_pct: float | None
    approach_pct: float | None
    deployment_pct: float | None
    score_pct: float | None
    points_available: float | None
    points_earned: float | None
    is_applicable: bool | None
    note: str | None

    @property
    def is_part(self) -> bool:
        return self.part != "item"

    @property
    def label(self) -> str:
        return PART_LABEL.get(self.part, self.part) if self.is_part else self.item_name


@dataclass(frozen=True)
class Month:
    """One metric-month against its target (mart.metric_status)."""

    metric_id: str
    metric_name: str
    metric_type: str
    copc_item: str
    unit_level: str
    unit_id: str
    month: dt.date
    value: float | None
    direction: str
    target_value: float | None
    target_low: float | None
    target_high: float | None
    target_basis: str | None
    meets_target: bool | None
    is_countable: bool | None
    not_countable_reason: str | None
    counts_as_met: bool | None


@dataclass(frozen=True)
class MetricPeriod:
    """One metric of one unit over the measurement period (mart.metric_period_status)."""

    scoring_month: dt.date
    period_start: dt.date
    period_end: dt.date
    metric_id: str
    metric_name: str
    metric_type: str
    copc_item: str
    unit_level: str
    unit_id: str
    months_with_data: int | None
    months_met: int | None
    level_pct: float | None
    meets_level: bool | None
    trend_rule: str
    trend_n: int | None
    slope: float | None
    t_stat: float | None
    t_critical: float | None
    is_improving: bool | None
    status: str
    why: str | None
    is_provisional: bool | None
    months: list[Month] = field(default_factory=list)


# The tables read and the columns taken from each: the contract's exact names.
TABLES: dict[str, type] = {
    "scorecard_summary": Summary,
    "scorecard_items": Item,
    "metric_period_status": MetricPeriod,
    "metric_status": Month,
}
REQUIRED_TABLES = ("metric_targets", *TABLES)


def _columns(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.name != "months"]


@dataclass
class Scorecard:
    """Everything the scorecard shows, read from one published mart."""

    mart: Path
    run_id: str | None
    published_at: dt.datetime | None
    summaries: list[Summary]
    items: list[Item]
    metrics: list[MetricPeriod]

    @property
    def organisation(self) -> Summary | None:
        return next((s for s in self.summaries if s.scope_level == ORGANISATION), None)

    @property
    def headline(self) -> Summary:
        """The organisation's summary, or the first scope when there is none (e.g. one site shown)."""
        return self.organisation or self.summaries[0]

    @property
    def sites(self) -> list[Summary]:
        return [s for s in self.summaries if s.scope_level == SITE]

    def items_of(self, scope: Summary) -> list[Item]:
        return [i for i in self.items if (i.scope_level, i.scope_id) == (scope.scope_level, scope.scope_id)]

    def metrics_of(self, scope: Summary, item: str | None = None) -> list[MetricPeriod]:
        """The metric-units shown under a scope, each shown once in the report: a site's own
        site-level metrics under the site; everything else (organisation, client, program,
        channel, queue units) under the organisation. (Which metric-units COUNT in which scope is
        the scoring models' rule; the contract's tables do not say which site a queue is in, so a
        site's queue-level metrics are shown under the organisation.)"""
        if scope.scope_level == ORGANISATION:
            mine = [m for m in self.metrics if m.unit_level != SITE]
        else:
            mine = [m for m in self.metrics if (m.unit_level, m.unit_id) == (SITE, scope.scope_id)]
        return [m for m in mine if item is None or m.copc_item == item]

    def only_site(self, site_id: str) -> Scorecard:
        """The same scorecard reduced to one site's scope."""
        keep = [s for s in self.sites if s.scope_id == site_id]
        if not keep:
            known = ", ".join(s.scope_id for s in self.sites) or "none"
            raise ScorecardUnavailable(f"no site {site_id!r} in the scorecard of {self.mart}; sites: {known}")
        return dataclasses.replace(self, summaries=keep)

    def to_dict(self) -> dict:
        """Plain JSON-able data (dates as ISO strings)."""

        def plain(v):
            if isinstance(v, dt.date | dt.datetime):
                return v.isoformat()
            if isinstance(v, Path):
                return str(v)
            if isinstance(v, list):
                return [plain(x) for x in v]
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            return v

        scopes = []
        for s in self.summaries:
            scopes.append(
                {
                    **dataclasses.asdict(s),
                    "items": [dataclasses.asdict(i) for i in self.items_of(s)],
                    "metrics": [dataclasses.asdict(m) for m in self.metrics_of(s)],
                }
            )
        return plain(
            {
                "mart": self.mart,
                "run_id": self.run_id,
                "published_at": self.published_at,
                "scopes": scopes,
            }
        )


def item_key(item: str) -> tuple:
    """Natural order of COPC item numbers: 2.9 before 2.10, 4.2a before 4.2b before 4.3."""
    m = re.fullmatch(r"(\d+)\.(\d+)([a-z]*)", item or "")
    return (int(m.group(1)), int(m.group(2)), m.group(3)) if m else (99, 99, item or "")


def _part_key(part: str) -> int:
    return PART_ORDER.index(part) if part in PART_ORDER else len(PART_ORDER)


def _scope_key(s) -> tuple:
    level = getattr(s, "scope_level", None) or s.unit_level
    ident = getattr(s, "scope_id", None) or s.unit_id
    return (0 if level == ORGANISATION else 1, str(ident))


def _plain(v):
    return float(v) if isinstance(v, Decimal) else v


def _rows(con: duckdb.DuckDBPyConnection, table: str, cls: type, order: str) -> list:
    cols = _columns(cls)
    sql = f"select {', '.join(cols)} from mart.{table} order by {order}"
    out = []
    for row in con.execute(sql).fetchall():
        values = {c: _plain(v) for c, v in zip(cols, row, strict=True)}
        if cls is Summary:
            values["failed_conditions"] = list(values["failed_conditions"] or [])
        out.append(cls(**values))
    return out


def _check_tables(con: duckdb.DuckDBPyConnection, mart: Path) -> None:
    have: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = ?",
        [PUBLISHED_MART_SCHEMA],
    ).fetchall():
        have.setdefault(table, set()).add(column)
    missing = [t for t in REQUIRED_TABLES if t not in have]
    if missing:
        raise ScorecardUnavailable(
            f"the published mart {mart} has no scoring tables ({', '.join('mart.' + t for t in missing)} "
            "missing): it was built without the scoring models; run `cxmart run` again"
        )
    for table, cls in TABLES.items():
        absent = [c for c in _columns(cls) if c not in have[table]]
        if absent:
            raise ScorecardUnavailable(
                f"mart.{table} in the published mart {mart} lacks column(s) {', '.join(absent)} "
                "of the scoring contract"
            )


def load(settings: Settings) -> Scorecard:
    """The scorecard of the published mart, read-only. Raises ScorecardUnavailable (naming the
    file) when nothing is published yet or the published mart has no scoring tables."""
    mart = settings.mart
    if not mart.is_file():
        raise ScorecardUnavailable(
            f"no published mart at {mart}: run `cxmart run` (or `cxmart demo`) to build and publish one"
        )
    try:
        con = open_published(settings)
    except duckdb.Error as exc:
        raise ScorecardUnavailable(f"cannot open the published mart {mart}: {exc}") from exc
    try:
        _check_tables(con, mart)
        summaries = _rows(con, "scorecard_summary", Summary, "scope_level, scope_id")
        if not summaries:
            raise ScorecardUnavailable(
                f"mart.scorecard_summary in {mart} is empty: no metric had a target in the measurement "
                "period (see mart.metric_targets)"
            )
        items = _rows(con, "scorecard_items", Item, "scope_level, scope_id, item, part")
        metrics = _rows(con, "metric_period_status", MetricPeriod, "unit_level, unit_id, metric_id")
        months = _rows(con, "metric_status", Month, "unit_level, unit_id, metric_id, month")
        run_id = published_at = None
        if con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = ? and table_name = '_publication'",
            [PUBLISHED_MART_SCHEMA],
        ).fetchone()[0]:
            got = con.execute("select max(run_id), max(published_at) from mart._publication").fetchone()
            run_id, published_at = got
            if published_at is not None:
                published_at = published_at.astimezone(dt.UTC)
    finally:
        con.close()

    # Each metric's months within its measurement period.
    by_key: dict[tuple, list[Month]] = {}
    for m in months:
        by_key.setdefault((m.metric_id, m.unit_level, m.unit_id), []).append(m)
    for p in metrics:
        p.months.extend(
            m
            for m in by_key.get((p.metric_id, p.unit_level, p.unit_id), [])
            if p.period_start <= m.month <= p.period_end
        )

    summaries.sort(key=_scope_key)
    items.sort(key=lambda i: (*_scope_key(i), item_key(i.item), _part_key(i.part)))
    metrics.sort(
        key=lambda m: (
            item_key(m.copc_item),
            _part_key(m.metric_type),
            m.metric_id,
            UNIT_ORDER.index(m.unit_level) if m.unit_level in UNIT_ORDER else len(UNIT_ORDER),
            m.unit_id,
        )
    )
    return Scorecard(mart, run_id, published_at, summaries, items, metrics)


# -- formatting shared by the terminal and the HTML report ------------------------------------


def pct(v: float | None, digits: int = 1) -> str:
    return "–" if v is None else f"{v:.{digits}f}%"


def points(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def number(v: float | None) -> str:
    """A metric value as people read it: up to 3 decimals for small values, 1 for large ones."""
    if v is None:
        return "–"
    if abs(v) < 10:
        return f"{v:.3f}".rstrip("0").rstrip(".") or "0"
    return f"{v:,.1f}"


def target_text(direction: str | None, value: float | None, low: float | None, high: float | None) -> str:
    if direction == "band" or (value is None and (low is not None or high is not None)):
        return f"{number(low)}–{number(high)}"
    if value is None:
        return "–"
    return ("≥ " if direction == "higher_is_better" else "≤ " if direction == "lower_is_better" else "") + (
        number(value)
    )


def month_text(d: dt.date) -> str:
    return d.strftime("%b %Y")


STATUS_TEXT = {"level": "meets level", "improving": "improving", "not_met": "not met"}
