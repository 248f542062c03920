"""The HTML scorecard: one self-contained file (inline CSS and SVG, no scripts, no external fetches)
written to `<reports>/scorecard-<scoring month>.html` and `<reports>/scorecard.html` (the latest).

It shows what `cxmart.scorecard` read from the published mart; nothing is scored here. The
template is `cxmart/templates/scorecard.html.j2` (Jinja2 with autoescape: every text from the mart
is escaped); the trend charts are drawn here as inline SVG strings, every text in them escaped with
html.escape, and inserted with `|safe`.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from . import scorecard as sc
from .config import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "scorecard.html.j2"

GREEN, RED, GREY, AMBER = "#1a7f37", "#c62828", "#8c959f", "#b26a00"


@dataclass
class Written:
    path: Path  # reports/scorecard-<month>.html
    latest: Path  # reports/scorecard.html
    card: sc.Scorecard


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    out, d = [], start.replace(day=1)
    while d <= end:
        out.append(d)
        d = dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def _f(v: float) -> str:
    return f"{v:.1f}"


def sparkline(metric: sc.MetricPeriod, width: int = 260, height: int = 66) -> str:
    """A small monthly chart: the values, the target in force each month (a step line, or a band),
    green/red points for met/not met, hollow grey points and a shaded column for months that
    were not countable, a tick for months without data."""
    slots = _months(metric.period_start, metric.period_end) or [m.month for m in metric.months]
    by_month = {m.month: m for m in metric.months}
    left, right, top, bottom = 40, 6, 5, 14
    inner_w, inner_h = width - left - right, height - top - bottom
    step = inner_w / max(len(slots) - 1, 1)
    half = step / 2

    seen = [m.value for m in metric.months if m.value is not None]
    for m in metric.months:
        seen += [t for t in (m.target_value, m.target_low, m.target_high) if t is not None]
    lo, hi = (min(seen), max(seen)) if seen else (0.0, 1.0)
    if hi - lo < 1e-12:
        lo, hi = lo - (abs(lo) * 0.05 or 0.5), hi + (abs(hi) * 0.05 or 0.5)
    pad = (hi - lo) * 0.12
    lo, hi = lo - pad, hi + pad

    def x(i: int) -> float:
        return left + i * step

    def y(v: float) -> float:
        return top + (hi - v) / (hi - lo) * inner_h

    e = html.escape
    name = e(f"{metric.metric_name} ({metric.unit_id})")
    parts = [
        f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{name}: monthly trend">',
        f'<rect x="{left}" y="{top}" width="{inner_w}" height="{inner_h}" fill="#fafbfc" stroke="#e1e4e8"/>',
    ]
    # not countable months: a shaded column
    for i, month in enumerate(slots):
        m = by_month.get(month)
        if m is not None and m.is_countable is False:
            x0, w = max(left, x(i) - half), min(step, left + inner_w - max(left, x(i) - half))
            parts.append(
                f'<rect class="nc" x="{_f(x0)}" y="{top}" width="{_f(w)}" height="{inner_h}" '
                f'fill="#fff4d6"><title>{e(sc.month_text(month))}: not countable '
                f"({e(m.not_countable_reason or 'unknown reason')})</title></rect>"
            )
    # target: band rectangles or a step line, month by month (a target change shows as a step)
    path: list[str] = []
    for i, month in enumerate(slots):
        m = by_month.get(month)
        if m is None:
            continue
        x0, x1 = max(left, x(i) - half), min(left + inner_w, x(i) + half)
        if m.target_low is not None and m.target_high is not None and m.target_value is None:
            y0, y1 = y(m.target_high), y(m.target_low)
            parts.append(
                f'<rect class="band" x="{_f(x0)}" y="{_f(y0)}" width="{_f(x1 - x0)}" '
                f'height="{_f(y1 - y0)}" fill="#dff3e4"/>'
            )
        elif m.target_value is not None:
            ty = _f(y(m.target_value))
            path.append(f"{'L' if path else 'M'}{_f(x0)},{ty} L{_f(x1)},{ty}")
    if path:
        parts.append(
            f'<path class="target" d="{" ".join(path)}" fill="none" stroke="#57606a" '
            'stroke-width="1.2" stroke-dasharray="4 3"/>'
        )
    # the values: a line (broken where a month has no value), then one point per month
    run: list[str] = []
    lines: list[list[str]] = []
    for i, month in enumerate(slots):
        m = by_month.get(month)
        if m is None or m.value is None:
            if run:
                lines.append(run)
            run = []
            continue
        run.append(f"{_f(x(i))},{_f(y(m.value))}")
    if run:
        lines.append(run)
    for pts in lines:
        if len(pts) > 1:
            parts.append(
                f'<polyline points="{" ".join(pts)}" fill="none" stroke="#24292f" stroke-width="1.5"/>'
            )
    for i, month in enumerate(slots):
        m = by_month.get(month)
        if m is None or m.value is None:
            why = "no data" if m is None else f"no value ({m.not_countable_reason or 'unknown'})"
            parts.append(
                f'<line class="nodata" x1="{_f(x(i))}" x2="{_f(x(i))}" y1="{top + inner_h - 5}" '
                f'y2="{top + inner_h}" stroke="{GREY}" stroke-width="1.5"><title>'
                f"{e(sc.month_text(month))}: {e(why)}</title></line>"
            )
            continue
        target = sc.target_text(m.direction, m.target_value, m.target_low, m.target_high)
        if m.is_countable is False:
            mark, fill, stroke = "not countable", "#ffffff", GREY
            mark += f" ({m.not_countable_reason})" if m.not_countable_reason else ""
        elif m.counts_as_met:
            mark, fill, stroke = "met", GREEN, GREEN
        else:
            mark, fill, stroke = "not met", RED, RED
        parts.append(
            f'<circle class="pt" cx="{_f(x(i))}" cy="{_f(y(m.value))}" r="3.2" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.5"><title>{e(sc.month_text(month))}: '
            f"{e(sc.number(m.value))} (target {e(target)}): {e(mark)}</title></circle>"
        )
    # axes: the value range on the left, the first and last month below
    for v in (hi - pad, lo + pad):
        parts.append(
            f'<text x="{left - 4}" y="{_f(y(v) + 3)}" text-anchor="end" class="ax">{e(sc.number(v))}</text>'
        )
    if slots:
        parts.append(
            f'<text x="{left}" y="{height - 4}" class="ax">{e(slots[0].strftime("%b %y"))}</text>'
            f'<text x="{left + inner_w}" y="{height - 4}" text-anchor="end" class="ax">'
            f"{e(slots[-1].strftime('%b %y'))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_class(score: float | None) -> str:
    """Colour of a score bar (presentation only)."""
    if score is None:
        return "na"
    return "good" if score >= 95 else "mid" if score >= 50 else "bad"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        pct=sc.pct,
        points=sc.points,
        number=sc.number,
        target_text=sc.target_text,
        month_text=sc.month_text,
        item_key=sc.item_key,
        sparkline=sparkline,
        bar_class=bar_class,
        status_text=sc.STATUS_TEXT,
        trend_rule_text=sc.TREND_RULE_TEXT,
    )
    return env


def render(card: sc.Scorecard, generated_at: dt.datetime | None = None) -> str:
    """The whole HTML document for one scorecard."""
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    scopes = []
    for s in card.summaries:
        metrics = card.metrics_of(s)
        groups: dict[str, list[sc.MetricPeriod]] = {}
        for m in metrics:
            groups.setdefault(m.copc_item, []).append(m)
        names = {i.item: i.item_name for i in card.items_of(s)}
        scopes.append(
            {
                "summary": s,
                "items4": [i for i in card.items_of(s) if i.category == "4.0"],
                "items13": [i for i in card.items_of(s) if i.category != "4.0"],
                "groups": [
                    (item, names.get(item, ""), groups[item]) for item in sorted(groups, key=sc.item_key)
                ],
            }
        )
    template = _environment().get_template(TEMPLATE)
    return template.render(card=card, head=card.headline, scopes=scopes, generated_at=generated_at)


def write(settings: Settings, card: sc.Scorecard) -> Written:
    """Write the report for this scorecard and make it the latest; each file replaced atomically."""
    settings.reports.mkdir(parents=True, exist_ok=True)
    text = render(card)
    month = card.headline.scoring_month.strftime("%Y-%m")
    dated = settings.reports / f"scorecard-{month}.html"
    latest = settings.reports / "scorecard.html"
    for target in (dated, latest):
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    return Written(dated, latest, card)
