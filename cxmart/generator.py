"""Generate a realistic, deterministic sample contact centre as canonical export files.

`generate()` writes every canonical entity of `connectors/schema.py` in the landing layout
of SOURCES.md (`<out>/<entity>/<entity>[_<site>]_<YYYY-MM-DD>.csv[.gz]`), one simulated day
at a time, so a long period or a large headcount streams in bounded memory, and the same
arguments always give byte-identical files. Demos, tests and benchmarks all run on it.

Statistical model
-----------------
- Organisation: sites cycle through London, New York and Manila (zones with different or no
  DST); three programs for two clients; per site and program a voice, a chat and an email
  queue, plus one back-office queue. Telco voice and chat run 24x7; the others follow the
  site calendar (Mon-Fri 08-20, Sat 09-17, closed on Sunday and on public holidays).
- People: `agents` CSS positions spread over sites, programs and a primary channel.
  Leaving is an exponential hazard by employment type (permanent, agency, temporary with a
  contract end); most vacancies are backfilled after one to four weeks; a few CSS transfer
  to another program, backfilled or not. Two days off a week, vacation blocks (planned
  absence, ~8% of days) and 4% unplanned absence decide who works; new hires train first
  (7 days), then reach the acceptable performance level after a lognormal ramp (median 16
  days); a backfill is requested to start three weeks after the leaver's last day.
- Schedules: 8.5 h shifts (two breaks, lunch, sometimes a meeting or training) placed
  greedily against a two-peak intraday demand curve, plus night shifts on 24x7 queues.
- Voice: a Poisson process per 30-minute interval whose intensity follows the demand curve
  and is sized from the scheduled staff N by square-root staffing, load
  A = min(max(N - sqrt(N), 0.3 N), 0.8 N) Erlangs, times a weekday factor and lognormal day
  noise. Waits are Erlang C against the staff actually present: a caller waits with
  probability C(N, A), then an exponential time with mean AHT / (N - A). Patience is
  exponential (mean 480 s) with 3% very impatient callers, so some abandons are short; timeout,
  exit by key, callback and overflow compete with answer and abandon (first one wins).
  Talk, hold and after-call work are lognormal; ~4.5% of answered calls are transferred and
  continue as a second segment on the receiving queue. Customers are drawn uniformly from a
  finite pool per program, which gives ~10-15% repeat contacts within 7 days across channels.
- Chat: Poisson requests (reactive) and proactive invitations (about a third accepted).
  Each CSS offers 2-3 slots; chats are dealt round-robin to the slots on queue and each slot
  serves its chats in order (Lindley recursion), which yields waits, 1-3 overlapping chats
  per CSS, and abandons when the wait exceeds an exponential patience. A system greeting
  and, for some chats, a pre-chat bot come before the first agent message; then customer
  and agent messages alternate with lognormal gaps.
- Tickets: business-hours-heavy arrivals; first response, pending and solve times are
  lognormal in business hours of the queue's calendar, so holidays build backlog. Some
  tickets carry the system's SLA due time and some leave it empty; ~5% reopen after solve;
  follow-ups and back-office steps share a case id. Completed tickets carry the handle time
  the system captured (lognormal around the queue's AHT). The export is as of the period end.
- Surveys: ~10% of handled contacts answer. A latent satisfaction z = 1.3 - wait/180 s
  - penalties (transfer, late ticket) + N(0, 1) is cut into 1-5 (one program 1-10) and
  drives a 1-7 effort score (1 = very low effort).
- QA: ~5 evaluations per CSS per month (3.5 on the small cards program), random or
  targeted, plus monthly calibration sessions; critical errors are Bernoulli, defects
  Poisson, and both lower the 0-100 score.
- Forecasts: the true interval intensity times lognormal noise, noisier at the 90-day
  staffing horizon than at the 14-day scheduling horizon.
- Agent states are coarse: on-queue stretches alternate available, handling and
  after-contact work at 76-90% occupancy, around breaks that are mostly on time.
- Outages: a planned 40-minute bot maintenance every Sunday at 02:00 UTC (all programs) and a
  15-minute chat platform release every Wednesday at 06:00 UTC (all chat queues: before the
  site calendars open, so only 24x7 queues lose minutes), plus unplanned bot (~1.5 a month)
  and chat (~3 a month) incidents: Poisson per UTC day, lognormal length (median 25 min), one
  in five only partial, a chat incident hitting one queue, a site, a program or everything.

Each site-day draws from its own PCG64 stream seeded with
`SeedSequence([seed, epoch_day, site, stream])`, so days are independent and reproducible.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import math
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .connectors import schema

NA = np.iinfo(np.int64).min  # null for integer-coded timestamps, dates and counts
DAY = 86400
HALF = 1800
EPOCH = dt.date(1970, 1, 1)
BIG_DAY = 10**7  # "never" for separation days

# Independent random streams per site-day, so adding a draw to one entity never shifts another.
_ROSTER, _PLAN, _STATES, _VOICE, _CHAT, _TICKETS, _SURVEY, _QA, _FCST, _BOT, _OUTAGE = range(11)

# ---------------------------------------------------------------------------------------------
# Small helpers


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *key])))


def _epoch_day(d: dt.date) -> int:
    return (d - EPOCH).days


def _date(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def _weekday(day: int) -> int:
    return (int(day) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def _within(counts: np.ndarray) -> np.ndarray:
    """Position of each element inside its group, for groups laid out back to back."""
    counts = np.asarray(counts, np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)


def _apportion(n: int, weights) -> list[int]:
    w = np.asarray(weights, float)
    raw = n * w / w.sum()
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: n - int(base.sum())]] += 1
    return base.tolist()


def _lognormal(rng: np.random.Generator, median, sigma, size=None) -> np.ndarray:
    return rng.lognormal(np.log(median), sigma, size)


def _ids(prefix: str, nums, width: int) -> np.ndarray:
    """Fixed-width identifiers like `LON-V20260301-000123`, built without a Python loop."""
    p = np.frombuffer(prefix.encode(), np.uint8)
    v = np.asarray(nums, np.int64)
    w = len(p) + width
    buf = np.empty((len(v), w), np.uint8)
    buf[:, : len(p)] = p
    for i in range(width):
        buf[:, len(p) + i] = 48 + (v // 10 ** (width - 1 - i)) % 10
    return buf.view(f"S{w}").ravel()


def _lookup(values) -> np.ndarray:
    """Byte strings with a trailing empty one, so that index -1 means NULL."""
    return np.array([*[v.encode() if isinstance(v, str) else v for v in values], b""], dtype="S")


def _civil(days: np.ndarray):
    """Year, month, day of epoch days (H. Hinnant's algorithm), vectorised."""
    z = days + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (m <= 2), m, d


def _erlang_c(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Probability of waiting in M/M/n with offered load a (1 when overloaded or unstaffed)."""
    n = np.asarray(n, np.int64)
    a = np.asarray(a, float)
    b = np.ones_like(a)
    for k in range(1, int(n.max(initial=0)) + 1):
        b = np.where(k <= n, a * b / (k + a * b), b)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1 - b))
    return np.where((n > 0) & (a < n), np.clip(np.nan_to_num(c, nan=1.0), 0, 1), 1.0)


# ---------------------------------------------------------------------------------------------
# Time zones, calendars and business time


class _Zone:
    """UTC offsets of one IANA zone as a transition table, for vectorised local time."""

    def __init__(self, name: str, lo: int, hi: int):
        self.name = name
        tz = zoneinfo.ZoneInfo(name)

        def off(t: int) -> int:
            return int(dt.datetime.fromtimestamp(t, tz).utcoffset().total_seconds())

        grid = np.arange(lo - lo % 3600, hi + 3600, 3600, dtype=np.int64)
        offs = [off(int(t)) for t in grid]
        trans, vals = [], [offs[0]]
        for i in range(len(grid) - 1):
            if offs[i + 1] == offs[i]:
                continue
            a, b = int(grid[i]), int(grid[i + 1])
            while b - a > 1:  # transitions need not fall on the hour everywhere
                m = (a + b) // 2
                a, b = (m, b) if off(m) == offs[i] else (a, m)
            trans.append(b)
            vals.append(offs[i + 1])
        self.trans = np.array(trans, np.int64)
        self.offs = np.array(vals, np.int64)

    def offset(self, t) -> np.ndarray:
        return self.offs[np.searchsorted(self.trans, t, side="right")]

    def to_utc(self, naive) -> np.ndarray:
        """UTC instants of local wall-clock times given as naive epoch seconds."""
        naive = np.asarray(naive, np.int64)
        return naive - self.offset(naive - self.offset(naive))

    def midnight(self, day: int) -> int:
        return int(self.to_utc(np.array([day * DAY]))[0])

    def local_day(self, t) -> np.ndarray:
        return (t + self.offset(t)) // DAY


@dataclass
class _Calendar:
    calendar_id: str
    hours: tuple  # per weekday Mon..Sun: (opens, closes) in seconds after midnight, or None
    holidays: frozenset
    zone: _Zone
    _open: np.ndarray = field(init=False)
    _close: np.ndarray = field(init=False)
    _hol: np.ndarray = field(init=False)

    def __post_init__(self):
        self._open = np.array([h[0] if h else DAY for h in self.hours], np.int64)
        self._close = np.array([h[1] if h else 0 for h in self.hours], np.int64)
        self._hol = np.array(sorted(self.holidays), np.int64)

    @property
    def always(self) -> bool:
        return all(h == (0, DAY) for h in self.hours) and not self.holidays

    def open_at(self, t) -> np.ndarray:
        loc = t + self.zone.offset(t)
        day = loc // DAY
        sod = loc - day * DAY
        wd = (day + 3) % 7
        res = (sod >= self._open[wd]) & (sod < self._close[wd])
        return res & ~np.isin(day, self._hol) if self._hol.size else res

    def windows(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        days = [d for d in range(lo, hi) if self.hours[_weekday(d)] and d not in self.holidays]
        d = np.array(days, np.int64)
        o = np.array([self.hours[_weekday(x)][0] for x in days], np.int64)
        c = np.array([self.hours[_weekday(x)][1] for x in days], np.int64)
        return self.zone.to_utc(d * DAY + o), self.zone.to_utc(d * DAY + c)


class _BizClock:
    """Adds business seconds to instants within a calendar's opening windows."""

    def __init__(self, cal: _Calendar, lo: int, hi: int):
        s, e = cal.windows(lo, hi)
        self.starts, self.lens = s, e - s
        self.cum_end = np.cumsum(self.lens)
        self.cum_start = self.cum_end - self.lens

    def before(self, t) -> np.ndarray:
        i = np.searchsorted(self.starts, t, side="right") - 1
        ic = np.maximum(i, 0)
        v = self.cum_start[ic] + np.clip(t - self.starts[ic], 0, self.lens[ic])
        return np.where(i < 0, 0, v)

    def add(self, t, secs) -> np.ndarray:
        t = np.asarray(t, np.int64)
        b = self.before(t) + np.maximum(np.asarray(secs, np.int64), 1)
        i = np.minimum(np.searchsorted(self.cum_end, b, side="left"), len(self.cum_end) - 1)
        res = np.maximum(self.starts[i] + (b - self.cum_start[i]), t + 1)
        return np.where(b > self.cum_end[-1], NA, res)


def _easter(y: int) -> dt.date:
    a, b, c = y % 19, y // 100, y % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ll = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ll) // 451
    month = (h + ll - 7 * m + 114) // 31
    return dt.date(y, month, (h + ll - 7 * m + 114) % 31 + 1)


def _nth_weekday(y: int, month: int, weekday: int, n: int) -> dt.date:
    """n-th (1-based; -1 = last) weekday of a month."""
    if n > 0:
        first = dt.date(y, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(y + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _holidays(kind: str, y: int) -> list[dt.date]:
    e = _easter(y)
    if kind == "uk":  # England and Wales bank holidays, with weekend substitutes
        out = [
            e - dt.timedelta(days=2),
            e + dt.timedelta(days=1),
            _nth_weekday(y, 5, 0, 1),
            _nth_weekday(y, 5, 0, -1),
            _nth_weekday(y, 8, 0, -1),
        ]
        fixed = [dt.date(y, 1, 1), dt.date(y, 12, 25), dt.date(y, 12, 26)]
        for f in fixed:
            while f.weekday() >= 5 or f in out:
                f += dt.timedelta(days=1)
            out.append(f)
        return out
    if kind == "us":  # federal holidays, Saturday observed Friday and Sunday observed Monday

        def obs(d: dt.date) -> dt.date:
            return d + dt.timedelta(days={5: -1, 6: 1}.get(d.weekday(), 0))

        return [
            obs(dt.date(y, 1, 1)),
            _nth_weekday(y, 1, 0, 3),
            _nth_weekday(y, 2, 0, 3),
            _nth_weekday(y, 5, 0, -1),
            obs(dt.date(y, 6, 19)),
            obs(dt.date(y, 7, 4)),
            _nth_weekday(y, 9, 0, 1),
            _nth_weekday(y, 10, 0, 2),
            obs(dt.date(y, 11, 11)),
            _nth_weekday(y, 11, 3, 4),
            obs(dt.date(y, 12, 25)),
        ]
    fixed = [(1, 1), (4, 9), (5, 1), (6, 12), (8, 21), (11, 1), (11, 30), (12, 8), (12, 25)]
    return [
        e - dt.timedelta(days=3),
        e - dt.timedelta(days=2),
        _nth_weekday(y, 8, 0, -1),
        *[dt.date(y, m, d) for m, d in fixed],
        dt.date(y, 12, 30),
        dt.date(y, 12, 31),
    ]


# ---------------------------------------------------------------------------------------------
# Writing CSV fast and byte-identically


def _fmt_ts(t: np.ndarray, zone: _Zone) -> pa.Array:
    """ISO-8601 local time with the offset in force at each instant (2026-03-29T02:30:05+01:00)."""
    t = np.asarray(t, np.int64)
    n = len(t)
    valid = t != NA
    tt = np.where(valid, t, 0)
    off = zone.offset(tt)
    loc = tt + off
    days = loc // DAY
    sod = loc - days * DAY
    y, mo, d = _civil(days)
    buf = np.empty((n, 25), np.uint8)

    def put(col: int, v: np.ndarray, width: int) -> None:
        for i in range(width):
            buf[:, col + i] = 48 + (v // 10 ** (width - 1 - i)) % 10

    put(0, y, 4)
    put(5, mo, 2)
    put(8, d, 2)
    put(11, sod // 3600, 2)
    put(14, sod // 60 % 60, 2)
    put(17, sod % 60, 2)
    aoff = np.abs(off)
    put(20, aoff // 3600, 2)
    put(23, aoff // 60 % 60, 2)
    buf[:, [4, 7]] = ord("-")
    buf[:, 10] = ord("T")
    buf[:, [13, 16, 22]] = ord(":")
    buf[:, 19] = np.where(off < 0, ord("-"), ord("+"))
    offsets = np.arange(0, 25 * (n + 1), 25, dtype=np.int32)
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf), bitmap)


def _str_arrow(a: np.ndarray) -> pa.Array:
    a = np.ascontiguousarray(np.asarray(a, dtype="S"))
    n, w = len(a), a.dtype.itemsize
    lens = np.char.str_len(a).astype(np.int32) if n else np.zeros(0, np.int32)
    offs = np.zeros(n + 1, np.int32)
    np.cumsum(lens, out=offs[1:])
    data = a.view(np.uint8).reshape(n, w)[np.arange(w) < lens[:, None]] if w else np.zeros(0)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offs), pa.py_buffer(data.tobytes()))


def _arrow(col: schema.Column, v, n: int, zone: _Zone) -> pa.Array:
    t = col.type
    if v is None:
        return pa.nulls(n, pa.string())
    if t == schema.TS:
        return _fmt_ts(v, zone)
    if t in (schema.STR, schema.TIME):
        return _str_arrow(v)
    v = np.asarray(v)
    if t == schema.BOOL:
        return pa.array(v == 1, mask=v < 0)
    if t == schema.DATE:
        return pa.array(np.where(v == NA, 0, v).astype(np.int32), pa.date32(), mask=v == NA)
    if v.dtype.kind == "f":
        return pa.array(v, mask=np.isnan(v))
    return pa.array(v.astype(np.int64), mask=v == NA)


class _Writer:
    """Routes rows to the file of their local day, holding later days' rows until then."""

    def __init__(self, out: Path, compress: bool, end_day: int):
        self.out, self.compress, self.end_day = out, compress, end_day
        self.counts = {e.name: 0 for e in schema.ENTITIES}
        self.pending: dict[tuple[str, str], dict[int, list[dict]]] = {}
        self.zones: dict[str, _Zone] = {}
        self.options = pacsv.WriteOptions(include_header=False, quoting_style="none")

    def write(self, entity: str, stem: str, frame: dict, zone: _Zone) -> None:
        e = schema.entity(entity)
        n = len(frame["__when"])
        if n == 0:
            return
        order = np.argsort(frame["__when"], kind="stable")
        arrays = []
        for c in e.columns:
            v = frame.get(c.name)
            arrays.append(_arrow(c, None if v is None else np.asarray(v)[order], n, zone))
        table = pa.Table.from_arrays(arrays, names=e.column_names)
        buf = io.BytesIO()
        buf.write((",".join(e.column_names) + "\n").encode())
        pacsv.write_csv(table, buf, self.options)
        data = buf.getvalue()
        suffix = ".csv"
        if self.compress:
            data = gzip.compress(data, compresslevel=6, mtime=0)
            suffix = ".csv.gz"
        path = self.out / entity / (stem + suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.counts[entity] += n

    def add(self, entity: str, key: str, zone: _Zone, frame: dict, days: np.ndarray) -> None:
        """Queue rows; `days` is each row's local day (the file it belongs to)."""
        if len(days) == 0:
            return
        self.zones[key] = zone
        slot = self.pending.setdefault((entity, key), {})
        for day in np.unique(days):
            if day >= self.end_day:
                continue  # after the export's period end: not happened yet
            m = days == day
            part = {k: np.asarray(v)[m] for k, v in frame.items()} if not m.all() else frame
            slot.setdefault(int(day), []).append(part)

    def flush(self, day: int) -> None:
        date = _date(day).isoformat()
        for (entity, key), slot in sorted(self.pending.items()):
            parts = [p for d in sorted(k for k in slot if k <= day) for p in slot.pop(d)]
            if not parts:
                continue
            frame = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
            stem = f"{entity}_{key}_{date}" if key else f"{entity}_{date}"
            self.write(entity, stem, frame, self.zones[key])


# ---------------------------------------------------------------------------------------------
# The organisation


@dataclass(frozen=True)
class _Program:
    program_id: str
    name: str
    client_id: str
    weight: float
    currency: str
    scale_max: int  # survey overall scale 1..scale_max
    qa_per_month: float
    talk_median: float
    bot_prechat: float  # share of chats that meet a bot first
    containment: float
    cost_per_css: float  # fully loaded monthly cost per CSS at a cost factor of 1
    due_share: float  # share of email tickets exported with the system's SLA due time


_PROGRAMS = (
    _Program(
        program_id="RETAIL",
        name="Retail banking",
        client_id="CL-NORTHBANK",
        weight=0.45,
        currency="GBP",
        scale_max=5,
        qa_per_month=5.0,
        talk_median=240,
        bot_prechat=0.35,
        containment=0.45,
        cost_per_css=3400,
        due_share=0.6,
    ),
    _Program(
        program_id="CARDS",
        name="Credit cards",
        client_id="CL-NORTHBANK",
        weight=0.20,
        currency="GBP",
        scale_max=5,
        qa_per_month=3.5,
        talk_median=280,
        bot_prechat=0.0,
        containment=0.55,
        cost_per_css=3600,
        due_share=0.0,
    ),
    _Program(
        program_id="TELCO",
        name="Mobile telco support",
        client_id="CL-TELCOM",
        weight=0.35,
        currency="USD",
        scale_max=10,
        qa_per_month=5.0,
        talk_median=210,
        bot_prechat=0.5,
        containment=0.35,
        cost_per_css=4100,
        due_share=1.0,
    ),
)
_SITE_BASES = (
    ("LON", "London", "Europe/London", "uk", 1.0),
    ("NYC", "New York", "America/New_York", "us", 1.15),
    ("MNL", "Manila", "Asia/Manila", "ph", 0.4),
)
_CHANNELS = ("voice", "chat", "email", "backoffice")
_SITE_HOURS = tuple([(8 * 3600, 20 * 3600)] * 5 + [(9 * 3600, 17 * 3600), None])
_H24 = tuple([(0, DAY)] * 7)

_X = (np.arange(48) + 0.5) / 2  # local hour at the middle of each half-hour


def _bump(centre: float, width: float) -> np.ndarray:
    return np.exp(-(((_X - centre) / width) ** 2))


# Two intraday peaks for voice (late morning, mid-afternoon); chat peaks later in the evening.
_PROFILE = {
    "voice": 0.06 + _bump(10.5, 1.8) + 0.8 * _bump(15.0, 2.2) + 0.25 * _bump(19.0, 1.8),
    "chat": 0.08 + 0.8 * _bump(12.0, 2.5) + _bump(20.0, 2.5),
    "email": np.ones(48),
    "backoffice": np.ones(48),
}
_CHAT_BUSY = 550.0  # mean seconds a chat keeps a CSS slot busy (conversation and wrap)
_TICKET_ARRIVALS = 0.25 + _bump(10.0, 2.5) + 0.7 * _bump(15.0, 3.0)
_VOICE_WEEKDAY = np.array([1.04, 1.0, 0.99, 0.98, 0.99, 0.97, 0.95])
_TICKET_WEEKDAY = np.array([1.25, 1.05, 1.0, 1.0, 0.95, 0.5, 0.35])
_BOT_WEEKDAY = np.array([1.15, 1.0, 1.0, 1.0, 1.0, 0.8, 0.7])
# Days off: Sunday plus one more where the site closes on Sunday (rarely Monday, the busiest
# day); any two days on 24x7 queues, weekends preferred.
_DAY_OFF_SITE = [0.04, 0.13, 0.15, 0.15, 0.18, 0.35]
_DAYS_OFF_24X7 = [0.08, 0.1, 0.12, 0.12, 0.13, 0.2, 0.25]

_ON, _BREAK, _LUNCH, _TRAINING, _MEETING, _OFF = range(6)
_ACTIVITY = _lookup(["on_queue", "break", "lunch", "training", "meeting", "off"])
_REASON = _lookup(["", "break", "lunch", "training", "meeting", "coaching", "system"])
_STATE = _lookup(["logged_out", "available", "handling", "acw", "not_ready"])
_OUTCOME = _lookup(
    [
        "answered",
        "abandoned",
        "exit_key",
        "callback",
        "overflow",
        "timeout",
        "transfer",
        "no_agents",
    ]
)
_SENDER = _lookup(["customer", "agent", "bot", "system"])
_END_REASON = _lookup(["agent_closed", "customer_left", "transferred", "timeout"])
_TICKET_STATUS = _lookup(["new", "open", "pending", "solved", "closed"])
_PRIORITY = _lookup(["low", "normal", "high", "urgent"])
_EMP_TYPE = _lookup(["permanent", "temporary", "agency"])
_SEP_TYPE = _lookup(["voluntary", "involuntary", "transfer"])
_SELECTION = _lookup(["random", "all", "other"])
_QA_MODE = _lookup(["remote", "side_by_side", "calibration"])
_QA_SELECTION = _lookup(["random", "targeted"])
_DIRECTION = _lookup(["inbound", "outbound"])
_CHAT_TYPE = _lookup(["reactive", "proactive"])


@dataclass
class _Site:
    idx: int
    site_id: str
    name: str
    zone: _Zone
    cal: _Calendar
    cost_factor: float


@dataclass
class _Queue:
    idx: int
    queue_id: str
    site: int
    program: int
    channel: str
    cal: _Calendar
    sl: int | None = None
    short: int | None = None
    formula: str | None = None
    cycle_hours: float | None = None
    max_wait: int = 600
    callback: bool = False
    overflow_to: int = -1
    aht: float = 0.0  # mean handle time (s) used for sizing and forecasts


@dataclass
class _Roster:
    """CSS assignments (one per employee per program) as parallel arrays."""

    emp_ids: np.ndarray  # by employee number, with a trailing b"" for NULL
    emp: np.ndarray
    site: np.ndarray
    prog: np.ndarray
    chan: np.ndarray
    queue: np.ndarray
    hired: np.ndarray
    sep: np.ndarray  # last day of the assignment (BIG_DAY when still active)
    last_day: np.ndarray  # last day that can start a shift
    etype: np.ndarray
    contract_end: np.ndarray
    requested: np.ndarray  # requested start day of a backfill hire (NA otherwise)
    trained: np.ndarray  # last day of initial training (NA if not in the data)
    proficient: np.ndarray  # first day at the acceptable performance level (NA if not yet)
    sep_type: np.ndarray
    backfilled: np.ndarray
    night: np.ndarray
    slots: np.ndarray
    off1: np.ndarray
    off2: np.ndarray
    vacation: np.ndarray  # sorted codes assignment * 10**6 + day
    support: list  # non-CSS roster rows
    qa_ids: list  # evaluator ids per site

    @property
    def agent_ids(self) -> np.ndarray:
        """Agent id per assignment, with a trailing b"" so index -1 is NULL."""
        return np.append(self.emp_ids[self.emp], b"")


# ---------------------------------------------------------------------------------------------
# The centre


@dataclass
class _Plan:
    """Who works when on one site-day: schedule segments, actual not-ready blocks, absences."""

    seg_a: np.ndarray
    seg_kind: np.ndarray
    seg_start: np.ndarray
    seg_end: np.ndarray
    seg_present: np.ndarray
    nr: tuple  # (a, reason, start, end) actual not-ready blocks
    gaps: tuple  # (a, start, end, occupancy, training) actual logged-in, not not-ready
    logout: tuple  # (a, t)
    absences: tuple  # (a, hours, planned)


@dataclass
class _Grid:
    t0: int
    t1: int
    tk: np.ndarray  # start of each 30-minute interval of the local day (UTC)
    lidx: np.ndarray  # local half-hour index (0..47) of each interval

    @property
    def n(self) -> int:
        return len(self.tk)

    def k(self, t) -> np.ndarray:
        return np.clip((np.asarray(t) - self.t0) // HALF, 0, self.n - 1)


@dataclass
class _Handled:
    """Handled contacts of a site-day, the population surveys and QA sample from."""

    cid: list = field(default_factory=list)
    chan: list = field(default_factory=list)
    prog: list = field(default_factory=list)
    agent: list = field(default_factory=list)
    end: list = field(default_factory=list)
    wait: list = field(default_factory=list)
    penalty: list = field(default_factory=list)

    def add(self, cid, chan, prog, agent, end, wait, penalty) -> None:
        n = len(cid)
        self.cid.append(np.asarray(cid, "S"))
        self.chan.append(np.broadcast_to(np.asarray(chan, "S10"), (n,)).copy())
        self.prog.append(np.broadcast_to(np.asarray(prog, np.int64), (n,)).copy())
        self.agent.append(np.asarray(agent, np.int64))
        self.end.append(np.asarray(end, np.int64))
        self.wait.append(np.asarray(wait, float))
        self.penalty.append(np.asarray(penalty, float))

    def arrays(self) -> dict:
        if not self.cid:
            return {
                "cid": np.zeros(0, "S1"),
                **{k: np.zeros(0, np.int64) for k in ("prog", "agent", "end")},
                "chan": np.zeros(0, "S1"),
                "wait": np.zeros(0),
                "penalty": np.zeros(0),
            }
        return {
            k: np.concatenate(getattr(self, k))
            for k in ("cid", "chan", "prog", "agent", "end", "wait", "penalty")
        }


class _Centre:
    def __init__(self, seed: int, start: dt.date, days: int, agents: int, sites: int):
        self.seed, self.days, self.n_agents = seed, days, agents
        self.start_day = _epoch_day(start)
        self.end_day = self.start_day + days
        lo, hi = (self.start_day - 200) * DAY, (self.end_day + 400) * DAY
        self.utc = _Zone("UTC", 0, DAY)
        years = range(start.year - 1, _date(self.end_day + 400).year + 1)
        self.sites: list[_Site] = []
        for i in range(sites):
            sid, name, tzname, hol, cost = _SITE_BASES[i % 3]
            if i >= 3:
                sid, name = f"{sid}{i // 3 + 1}", f"{name} {i // 3 + 1}"
            zone = _Zone(tzname, lo, hi)
            hols = frozenset(_epoch_day(d) for y in years for d in _holidays(hol, y))
            cal = _Calendar(f"CAL-{sid}", _SITE_HOURS, hols, zone)
            self.sites.append(_Site(i, sid, name, zone, cal, cost))
        self.cal24 = {s.idx: _Calendar("CAL-24X7", _H24, frozenset(), s.zone) for s in self.sites}
        self._build_queues()
        self.biz = {
            q.idx: _BizClock(q.cal, self.start_day - 20, self.end_day + 400)
            for q in self.queues
            if q.cycle_hours
        }
        self.roster = self._build_roster()
        self.agent_ids = self.roster.agent_ids
        self._plans: dict[tuple[int, int], _Plan] = {}
        # A finite customer pool per program (~1,200 per CSS) makes repeat contacts realistic.
        css = np.bincount(self.roster.prog, minlength=len(_PROGRAMS))
        sizes = np.maximum(1500, 1200 * css)
        self.pool_base = np.concatenate([[0], np.cumsum(sizes)[:-1]]) + 1
        self.pool_size = sizes

    # -- configuration -------------------------------------------------------------------------

    def _build_queues(self) -> None:
        self.queues: list[_Queue] = []
        self.qkey: dict[tuple[int, int, str], int] = {}
        last = len(self.sites) - 1
        for s in self.sites:
            for p, prog in enumerate(_PROGRAMS):
                telco = prog.program_id == "TELCO"
                rt_cal = self.cal24[s.idx] if telco else s.cal
                talk_mean = prog.talk_median * math.exp(0.55**2 / 2)
                voice_aht = talk_mean + 0.3 * 45 * math.exp(0.6**2 / 2) + 35 * math.exp(0.125)
                specs = [
                    _Queue(
                        0,
                        f"{s.site_id}-{prog.program_id}-VOICE",
                        s.idx,
                        p,
                        "voice",
                        rt_cal,
                        sl=(20, 30, 60)[p],
                        short=5,
                        formula="copc_offered",
                        max_wait=(600, 480, 900)[p],
                        callback=p == 0,
                        aht=voice_aht,
                    ),
                    _Queue(
                        0,
                        f"{s.site_id}-{prog.program_id}-CHAT",
                        s.idx,
                        p,
                        "chat",
                        rt_cal,
                        sl=(30, 60, 60)[p],
                        short=5,
                        formula="copc_offered",
                        aht=_CHAT_BUSY,
                    ),
                    _Queue(
                        0,
                        f"{s.site_id}-{prog.program_id}-EMAIL",
                        s.idx,
                        p,
                        "email",
                        s.cal,
                        cycle_hours=(24.0, 48.0, 24.0)[p],
                        aht=540.0,
                    ),
                ]
                if s.idx == 0 and p == 0:
                    specs.append(
                        _Queue(
                            0,
                            f"{s.site_id}-RETAIL-BACKOFFICE",
                            s.idx,
                            p,
                            "backoffice",
                            s.cal,
                            cycle_hours=48.0,
                            aht=900.0,
                        )
                    )
                for q in specs:
                    # One queue of each vendor service-level variant, and one with short
                    # abandons turned off, so every branch of the metric gets exercised.
                    if (s.idx, prog.program_id, q.channel) == (0, "TELCO", "chat"):
                        q.formula = "answered_only"
                    if (s.idx, prog.program_id, q.channel) == (0, "RETAIL", "chat"):
                        q.formula = "abandons_negative"
                    if (s.idx, prog.program_id, q.channel) == (last, "CARDS", "voice"):
                        q.formula = "abandons_positive"
                    if (s.idx, prog.program_id, q.channel) == (0, "CARDS", "voice"):
                        q.short = 0
                    q.idx = len(self.queues)
                    self.queues.append(q)
                    self.qkey[(s.idx, p, q.channel)] = q.idx
        for q in self.queues:  # cards callers who wait too long overflow to retail, same site
            if q.channel == "voice" and _PROGRAMS[q.program].program_id == "CARDS":
                q.overflow_to = self.qkey[(q.site, 0, "voice")]
        self.q24 = np.array([q.cal.always for q in self.queues])

    def _build_roster(self) -> _Roster:
        rng = _rng(self.seed, 0, 0, _ROSTER)
        n_sites, start, end, days = len(self.sites), self.start_day, self.end_day, self.days
        positions: list[tuple[int, int, int, bool]] = []
        for s in range(n_sites):
            n_site = len(range(s, self.n_agents, n_sites))
            per_prog = _apportion(n_site, [p.weight for p in _PROGRAMS])
            for p, g in enumerate(per_prog):
                if g >= 3:
                    ch = _apportion(g, [0.55, 0.25, 0.20])
                    for i in (1, 2):
                        if ch[i] == 0:
                            ch[i], ch[0] = 1, ch[0] - 1
                else:
                    ch = [[0, 0, 0], [1, 0, 0], [1, 1, 0]][g]
                for c, cnt in enumerate(ch):
                    nights = 0
                    if _PROGRAMS[p].program_id == "TELCO" and c < 2 and cnt >= 3:
                        nights = max(1, round(0.15 * cnt))
                    positions += [(s, p, c, i >= cnt - nights) for i in range(cnt)]
        progs_at = [{p for (s2, p, _, _) in positions if s2 == s} for s in range(n_sites)]

        # A few people events are forced so that every attrition rule has a case to count.
        forced: dict[int, str] = {}
        if days >= 5 and len(positions) >= 4:
            kinds = ["transfer_backfilled", "transfer_open", "temp_early", "temp_on_end"]
            for i in rng.permutation(len(positions)).tolist():
                if not kinds:
                    break
                k = kinds[0]
                if k.startswith("transfer") and len(progs_at[positions[i][0]]) < 2:
                    continue
                forced[i] = kinds.pop(0)

        rows: list[dict] = []  # CSS assignments

        def leave_day(frm: int, etype: int, contract_end: int | None, transfers: bool):
            rate = (0.28, 0.30, 0.50)[etype]
            t = frm + int(math.ceil(rng.exponential(365 / rate)))
            kind = 1 if rng.random() < 0.25 else 0
            if etype == 1 and contract_end is not None and t >= contract_end:
                t, kind = contract_end, 1
            if transfers:
                tt = frm + int(math.ceil(rng.exponential(365 / 0.05)))
                if tt < t:
                    t, kind = tt, 2
            return (t, kind) if t < end - 1 else (None, None)

        def new_row(pos, emp, p, hired, etype, contract_end):
            s, _, c, night = positions[pos]
            return {
                "pos": pos,
                "emp": emp,
                "site": s,
                "prog": p,
                "chan": c,
                "night": night,
                "hired": hired,
                "etype": etype,
                "contract_end": contract_end,
                "requested": None,
                "sep": None,
                "sep_type": None,
                "backfilled": None,
            }

        hires: list[dict] = []
        for pos, (s, p, _c, _night) in enumerate(positions):
            u = rng.random()
            etype = 0 if u < 0.8 else (1 if u < 0.9 else 2)
            if etype == 0:
                hired = start - 1 - int(rng.exponential(700))
            else:
                hired = start - int(rng.integers(10, 240))
            contract_end = start + int(rng.integers(14, days + 120)) if etype == 1 else None
            f = forced.get(pos)
            if f in ("temp_early", "temp_on_end"):
                hired = start - int(rng.integers(10, 120))
            if f == "temp_early":
                etype, contract_end = 1, end + 30 + int(rng.integers(0, 60))
            elif f == "temp_on_end":
                etype = 1
                contract_end = start + min(days - 2, max(1, int(days * rng.uniform(0.3, 0.7))))
            elif f and f.startswith("transfer"):
                etype, contract_end = 0, None
            cur = new_row(pos, ("init", pos), p, hired, etype, contract_end)
            rows.append(cur)
            frm = start
            while True:
                if f == "temp_early":
                    t, kind = start + min(days - 2, max(1, int(days * rng.uniform(0.25, 0.6)))), 0
                elif f == "temp_on_end":
                    t, kind = contract_end, 1
                elif f and f.startswith("transfer"):
                    t, kind = start + min(days - 2, max(1, int(days * rng.uniform(0.2, 0.6)))), 2
                else:
                    t, kind = leave_day(frm, cur["etype"], cur["contract_end"], True)
                if t is None:
                    break
                cur["sep"], cur["sep_type"] = t, kind
                if kind == 2:
                    dest = sorted(progs_at[s] - {cur["prog"]})
                    if not dest:
                        cur["sep_type"] = kind = 0
                    else:
                        moved = new_row(
                            pos,
                            cur["emp"],
                            dest[int(rng.integers(len(dest)))],
                            t + 1,
                            cur["etype"],
                            cur["contract_end"],
                        )
                        t2, k2 = leave_day(t + 1, moved["etype"], moved["contract_end"], False)
                        if t2 is not None:
                            moved.update(sep=t2, sep_type=k2, backfilled=False)
                        rows.append(moved)
                if f == "transfer_backfilled":
                    back = True
                elif f == "transfer_open":
                    back = False
                else:
                    back = bool(rng.random() < (0.5 if kind == 2 else 0.85))
                cur["backfilled"] = back
                f = None
                hire = t + 1 + int(rng.integers(7, 29))
                if not back or hire >= end:
                    break
                u = rng.random()
                etype = 0 if u < 0.75 else (2 if u < 0.9 else 1)
                ce = hire + int(rng.integers(90, 240)) if etype == 1 else None
                cur = new_row(pos, ("hire", hire, pos), p, hire, etype, ce)
                cur["requested"] = t + 22  # asked for three weeks after the leaver's last day
                rows.append(cur)
                hires.append(cur)
                frm = hire

        # Employee numbers: the incumbents at the start in position order, then hires by date.
        keys = sorted({r["emp"] for r in rows if r["emp"][0] == "init"}, key=lambda k: k[1])
        keys += sorted({r["emp"] for r in rows if r["emp"][0] == "hire"}, key=lambda k: k[1:])
        number = {k: i for i, k in enumerate(keys)}
        width = max(4, len(str(len(keys))))
        emp_ids = np.array([f"A{i + 1:0{width}d}".encode() for i in range(len(keys))] + [b""])
        rows.sort(key=lambda r: (number[r["emp"]], r["hired"]))

        n = len(rows)

        def col(k, default=NA, dtype=np.int64):
            return np.array([default if r[k] is None else r[k] for r in rows], dtype)

        chan = col("chan")
        site = col("site")
        prog = col("prog")
        night = col("night", dtype=bool)
        sep = col("sep", BIG_DAY)
        keys = zip(site, prog, chan, strict=True)
        queue = np.array([self.qkey[(s, p, _CHANNELS[c])] for s, p, c in keys])
        q24 = self.q24[queue]
        off1 = np.full(n, 6)
        off2 = np.zeros(n, np.int64)
        for i in range(n):
            if q24[i]:
                off1[i], off2[i] = rng.choice(7, 2, replace=False, p=_DAYS_OFF_24X7)
            else:
                off2[i] = rng.choice(6, p=_DAY_OFF_SITE)
        hired = col("hired")
        vac = []
        for i in range(n):  # planned leave: blocks of 1-8 days, ~8% of the days
            lo, hi = max(start, hired[i]), min(end, sep[i] + 1)
            if hi <= lo:
                continue
            for _ in range(rng.poisson((hi - lo + 8) * 0.08 / 4.5)):
                b = int(rng.integers(lo - 8, hi))
                vac += [i * 10**6 + d for d in range(max(b, lo), b + int(rng.integers(1, 9)))]
        if not any(d % 10**6 < start + 7 for d in vac):
            # Even a tiny centre over a few days shows some planned absence.
            i = int(rng.choice(np.nonzero((hired <= start) & (sep >= start + 3))[0]))
            vac += [i * 10**6 + d for d in range(start, start + 3)]
        slots = np.where(chan == 1, rng.choice([2, 3], n, p=[0.4, 0.6]), 1)

        # New assignments train for their first 7 days (see _make_plan), then reach the
        # acceptable performance level after a lognormal ramp (median 16 days, ~15% over 30).
        # Own stream, so these draws never shift the roster's other draws.
        last = np.minimum(sep, end - 1)
        trained = np.where((hired >= start - 7) & (hired + 6 <= last), hired + 6, NA)
        ramp = np.ceil(_lognormal(_rng(self.seed, 0, 0, _ROSTER, 1), 16, 0.6, n)).astype(np.int64)
        proficient = np.where((trained != NA) & (trained + ramp <= last), trained + ramp, NA)

        support, qa_ids = [], []
        counters = {"supervisor": 0, "qa": 0, "wfm": 0, "trainer": 0}
        prefix = {"supervisor": "SUP", "qa": "QA", "wfm": "WFM", "trainer": "TRN"}
        for s in range(n_sites):
            group = np.bincount(prog[(site == s) & (sep == BIG_DAY)], minlength=len(_PROGRAMS))
            n_site = int(((site == s) & (sep == BIG_DAY)).sum())
            progs = [p for p in range(len(_PROGRAMS)) if group[p] > 0] or [0]
            roles = [("supervisor", p) for p in progs for _ in range(math.ceil(group[p] / 12))]
            n_qa = max(2 if n_sites == 1 else 1, math.ceil(n_site / 25))
            roles += [("qa", progs[i % len(progs)]) for i in range(n_qa)]
            roles += [("wfm", progs[0]), ("trainer", progs[0])]
            site_qa = []
            for role, p in roles:
                counters[role] += 1
                eid = f"{prefix[role]}-{counters[role]:03d}"
                support.append(
                    {
                        "employee_id": eid,
                        "site": s,
                        "prog": p,
                        "role": role,
                        "hired": start - 200 - int(rng.integers(0, 2500)),
                    }
                )
                if role == "qa":
                    site_qa.append(eid.encode())
            qa_ids.append(np.array(site_qa, "S"))

        return _Roster(
            emp_ids=emp_ids,
            emp=np.array([number[r["emp"]] for r in rows], np.int64),
            site=site,
            prog=prog,
            chan=chan,
            queue=queue,
            hired=hired,
            sep=sep,
            last_day=sep - night,  # a night shift ends the morning after it starts
            etype=col("etype"),
            contract_end=col("contract_end"),
            requested=col("requested"),
            trained=trained,
            proficient=proficient,
            sep_type=col("sep_type", -1),
            backfilled=col("backfilled", -1, np.int8),
            night=night,
            slots=slots,
            off1=off1,
            off2=off2,
            vacation=np.unique(np.array(vac, np.int64)),
            support=support,
            qa_ids=qa_ids,
        )

    # -- reference entities ---------------------------------------------------------------------

    def write_reference(self, w: _Writer) -> None:
        def one(entity: str, rows: list[dict], zone: _Zone | None = None) -> None:
            cols = schema.entity(entity).column_names
            frame = {c: np.array([r.get(c) for r in rows], dtype=object) for c in cols}
            for c in schema.entity(entity).columns:
                v = frame[c.name]
                if c.type in (schema.STR, schema.TIME):
                    frame[c.name] = np.array([b"" if x is None else str(x).encode() for x in v])
                elif c.type == schema.NUM and any(isinstance(x, float) for x in v):
                    frame[c.name] = np.array([np.nan if x is None else x for x in v], float)
                else:
                    frame[c.name] = np.array([NA if x is None else int(x) for x in v], np.int64)
            frame["__when"] = np.arange(len(rows))
            w.write(entity, entity, frame, zone or self.utc)

        one(
            "sites",
            [
                {
                    "site_id": s.site_id,
                    "site_name": s.name,
                    "time_zone": s.zone.name,
                }
                for s in self.sites
            ],
        )
        one(
            "programs",
            [
                {"program_id": p.program_id, "program_name": p.name, "client_id": p.client_id}
                for p in _PROGRAMS
            ],
        )
        one(
            "queues",
            [
                {
                    "queue_id": q.queue_id,
                    "site_id": self.sites[q.site].site_id,
                    "program_id": _PROGRAMS[q.program].program_id,
                    "channel": q.channel,
                    "service_level_seconds": q.sl,
                    "short_abandon_seconds": q.short,
                    "sl_formula": q.formula,
                    "cycle_time_hours": q.cycle_hours,
                    "calendar_id": q.cal.calendar_id,
                }
                for q in self.queues
            ],
        )

        def hhmmss(x: int) -> str:
            return f"{x // 3600:02d}:{x // 60 % 60:02d}:{x % 60:02d}"

        cals = [s.cal for s in self.sites] + [self.cal24[0]]
        one(
            "calendars",
            [
                {
                    "calendar_id": c.calendar_id,
                    "weekday": wd + 1,
                    "opens_at": hhmmss(h[0]),
                    "closes_at": hhmmss(h[1]),
                }
                for c in cals
                for wd, h in enumerate(c.hours)
                if h
            ],
        )
        lo, hi = _date(self.start_day).year, _date(self.end_day + 120).year
        one(
            "holidays",
            [
                {"calendar_id": c.calendar_id, "date": d}
                for c in cals
                for d in sorted(c.holidays)
                if lo <= _date(d).year <= hi
            ],
        )
        r = self.roster
        rows = []
        for i in range(len(r.emp)):
            st = r.sep_type[i]
            rows.append(
                {
                    "employee_id": r.emp_ids[r.emp[i]].decode(),
                    "site_id": self.sites[r.site[i]].site_id,
                    "program_id": _PROGRAMS[r.prog[i]].program_id,
                    "role": "css",
                    "employment_type": _EMP_TYPE[r.etype[i]].decode(),
                    "hired_at": r.hired[i],
                    "contract_end_at": None if r.contract_end[i] == NA else r.contract_end[i],
                    "separated_at": None if r.sep[i] == BIG_DAY else r.sep[i],
                    "separation_type": None if st < 0 else _SEP_TYPE[st].decode(),
                    "backfilled": None if r.backfilled[i] < 0 else int(r.backfilled[i]),
                    "requested_start_at": None if r.requested[i] == NA else r.requested[i],
                    "training_completed_at": None if r.trained[i] == NA else r.trained[i],
                    "proficient_at": None if r.proficient[i] == NA else r.proficient[i],
                }
            )
        for sp in r.support:
            rows.append(
                {
                    "employee_id": sp["employee_id"],
                    "site_id": self.sites[sp["site"]].site_id,
                    "program_id": _PROGRAMS[sp["prog"]].program_id,
                    "role": sp["role"],
                    "employment_type": "permanent",
                    "hired_at": sp["hired"],
                }
            )
        one("staff_roster", rows)
        one("program_costs", self._costs())
        one("exchange_rates", self._rates())

    def _rates(self) -> list[dict]:
        """Monthly rates of every program currency into GBP, the organisation's reporting currency."""
        first = _date(self.start_day).replace(day=1)
        months = sorted({_date(day).replace(day=1) for day in range(self.start_day, self.end_day)} | {first})
        return [
            {
                "month": _epoch_day(m),
                "currency": cur,
                "reporting_currency": "GBP",
                # a gently drifting USD rate around 0.79 GBP
                "rate": round(0.79 + 0.015 * math.sin(m.month + 12 * m.year), 4),
            }
            for m in months
            for cur in sorted({p.currency for p in _PROGRAMS} - {"GBP"})
        ]

    def _costs(self) -> list[dict]:
        """Monthly cost per program: CSS-days at each site's cost level plus fixed overhead."""
        r = self.roster
        n_p = len(_PROGRAMS)
        months: dict[tuple[int, int], np.ndarray] = {}
        for day in range(self.start_day, self.end_day):
            d = _date(day)
            act = (r.hired <= day) & (day <= r.sep)
            factor = np.array([self.sites[s].cost_factor for s in r.site[act]])
            cost = np.bincount(r.prog[act], weights=factor, minlength=n_p)
            m = months.setdefault((d.year, d.month), np.zeros(n_p + 1))
            m[:n_p] += cost
            m[n_p] += 1
        rows = []
        for (y, mo), acc in sorted(months.items()):
            dim = (dt.date(y + mo // 12, mo % 12 + 1, 1) - dt.timedelta(days=1)).day
            for p, prog in enumerate(_PROGRAMS):
                css_months = acc[p] / dim
                total = css_months * prog.cost_per_css * 1.18 + 2500 * acc[n_p] / dim
                rows.append(
                    {
                        "program_id": prog.program_id,
                        "month": _epoch_day(dt.date(y, mo, 1)),
                        "total_cost": round(float(total), 2),
                        "currency": prog.currency,
                    }
                )
        return rows

    # -- one site-day -------------------------------------------------------------------------

    def grid(self, s: int, day: int) -> _Grid:
        z = self.sites[s].zone
        t0, t1 = z.midnight(day), z.midnight(day + 1)
        tk = np.arange(t0, t1, HALF, dtype=np.int64)
        lidx = np.clip((tk + z.offset(tk) - day * DAY) // HALF, 0, 47)
        return _Grid(t0, t1, tk, lidx)

    def plan(self, s: int, day: int) -> _Plan:
        key = (s, day)
        if key not in self._plans:
            self._plans[key] = self._make_plan(s, day)
            for k in [k for k in self._plans if k[0] == s and k[1] < day - 1]:
                del self._plans[k]
        return self._plans[key]

    def _make_plan(self, s: int, day: int) -> _Plan:
        r = self.roster
        rng = _rng(self.seed, day, s, _PLAN)
        site = self.sites[s]
        g = self.grid(s, day)
        wd = _weekday(day)
        idx = np.nonzero((r.site == s) & (r.hired <= day) & (day <= r.last_day))[0]
        q = r.queue[idx]
        q24 = self.q24[q]
        site_open = site.cal.hours[wd] is not None and day not in site.cal.holidays
        works = (r.off1[idx] != wd) & (r.off2[idx] != wd) & (q24 | site_open)
        planned = works & np.isin(idx * 10**6 + day, r.vacation)
        new_hire = (day - r.hired[idx] < 7) & (r.hired[idx] >= self.start_day - 7)
        training = works & ~planned & new_hire
        unplanned = works & ~planned & ~training & (rng.random(len(idx)) < 0.04)
        sched = works & ~planned
        self._cover(q, sched, planned, unplanned, training, site_open, g)

        start_k = np.full(len(idx), -1)
        length = np.full(len(idx), 17)
        at = {int(v): int(np.argmax(g.lidx == v)) for v in (18, 44)}  # 09:00 and 22:00
        for qq in np.unique(q[sched]).tolist():
            queue = self.queues[qq]
            open_k = queue.cal.open_at(g.tk + 1)
            members = np.nonzero(sched & (q == qq))[0]
            trainees = members[training[members]]
            members = members[~training[members]]
            if self.q24[qq]:
                night = r.night[idx[members]]
                start_k[members[night]] = at[44]
                members = members[~night]
                cand = np.nonzero((g.lidx >= 12) & (g.lidx <= 31))[0]
                demand = _PROFILE[queue.channel][g.lidx] * (g.lidx >= 12)
                L = 17
            else:
                ok = np.nonzero(open_k)[0]
                if len(ok) == 0:
                    sched[members] = False
                    sched[trainees] = False
                    continue
                L = min(17, len(ok))
                cand = ok[open_k[np.minimum(ok + L - 1, g.n - 1)]]
                demand = _PROFILE[queue.channel][g.lidx] * open_k
            length[members] = L
            length[trainees] = L
            start_k[trainees] = at[18] if open_k[at[18]] or self.q24[qq] else cand[0]
            if len(members):
                start_k[members] = self._greedy(rng, members, cand, L, demand)
        sched &= start_k >= 0

        # Schedule segments and, for those present, what actually happened.
        n_sh = int(sched.sum())
        sh = np.nonzero(sched)[0]
        draws = {
            "j1": rng.integers(-1, 2, n_sh),
            "j2": rng.integers(-1, 2, n_sh),
            "meet": rng.random(n_sh) < 0.12,
            "meetx": rng.integers(1, 4, n_sh) * 15,
            "trn": rng.random(n_sh) < 0.05,
            "trnx": rng.integers(1, 3, n_sh) * 15,
            "login": np.where(
                rng.random(n_sh) < 0.08, rng.integers(300, 1200, n_sh), rng.integers(-240, 60, n_sh)
            ),
            "logout": rng.integers(-60, 300, n_sh),
            "delay": np.where(
                rng.random((n_sh, 3)) < 0.12,
                rng.integers(180, 600, (n_sh, 3)),
                rng.integers(0, 90, (n_sh, 3)),
            ),
            "over": np.where(
                rng.random((n_sh, 3)) < 0.08,
                rng.integers(120, 240, (n_sh, 3)),
                rng.integers(0, 90, (n_sh, 3)),
            ),
            "sys": rng.random(n_sh) < 0.15,
            "sysx": rng.integers(20 * 60, 60 * 60, n_sh),
            "syslen": rng.integers(60, 300, n_sh),
            "coach": rng.random(n_sh) < 0.04,
            "coachx": rng.integers(30 * 60, 60 * 60, n_sh),
            "occ": rng.uniform(0.76, 0.9, n_sh),
        }
        seg, nr, gaps, logout = [], [], [], []
        for j, i in enumerate(sh.tolist()):
            a = int(idx[i])
            st = int(g.tk[0] + HALF * start_k[i]) if start_k[i] < g.n else int(g.t1)
            tmpl = self._template(length[i] * 30, draws, j, bool(training[i]))
            seg += [(a, kind, st + x * 60, st + y * 60, not unplanned[i]) for kind, x, y in tmpl]
            if unplanned[i]:
                continue
            login = st + int(draws["login"][j])
            out = st + length[i] * HALF + int(draws["logout"][j])
            blocks, b = [], 0
            for kind, x, y in tmpl:
                if kind in (_BREAK, _LUNCH):
                    s0 = st + x * 60 + int(draws["delay"][j, b])
                    blocks.append((kind, s0, s0 + (y - x) * 60 + int(draws["over"][j, b])))
                    b += 1
                elif kind in (_MEETING, _TRAINING) and not training[i]:
                    blocks.append((kind, st + x * 60, st + y * 60))
            if not training[i] and len(tmpl) > 3:
                on2 = st + tmpl[2][1] * 60
                if draws["sys"][j]:
                    s0 = on2 + int(draws["sysx"][j])
                    blocks.append((6, s0, s0 + int(draws["syslen"][j])))
                if draws["coach"][j]:
                    s0 = st + int(draws["coachx"][j])
                    blocks.append((5, s0, s0 + 1200))
            blocks.sort(key=lambda x: x[1])
            prev = login
            for kind, s0, e0 in blocks:
                if s0 > prev:
                    gaps.append((a, prev, s0, draws["occ"][j], bool(training[i])))
                nr.append((a, kind, s0, e0))
                prev = e0
            if out > prev:
                gaps.append((a, prev, out, draws["occ"][j], bool(training[i])))
            logout.append((a, max(out, prev)))

        # Planned leave shows as 'off' over the usual shift.
        for i in np.nonzero(planned)[0].tolist():
            k = at[44] if r.night[idx[i]] else at[18]
            st = int(g.tk[k])
            seg.append((int(idx[i]), _OFF, st, st + 17 * HALF, False))
        absent = planned | unplanned
        hours = np.where(length == 16, 7.5, 8.0)

        def arr(rows, n_cols, dtypes):
            if not rows:
                return tuple(np.zeros(0, d) for d in dtypes)
            cols = list(zip(*rows, strict=True))
            return tuple(np.array(cols[c], dtypes[c]) for c in range(n_cols))

        sa, sk, ss, se, sp = arr(seg, 5, [np.int64, np.int64, np.int64, np.int64, bool])
        return _Plan(
            seg_a=sa,
            seg_kind=sk,
            seg_start=ss,
            seg_end=se,
            seg_present=sp,
            nr=arr(nr, 4, [np.int64] * 4),
            gaps=arr(gaps, 5, [np.int64, np.int64, np.int64, float, bool]),
            logout=arr(logout, 2, [np.int64] * 2),
            absences=(idx[absent], hours[absent], planned[absent]),
        )

    def _cover(self, q, sched, planned, unplanned, training, site_open: bool, g: _Grid) -> None:
        """A workforce planner keeps every queue that opens today covered: when days off and
        leave would leave fewer than two CSS present, members on a day off are called in (in
        roster order; leave is kept), so an open queue's volume never collapses to a trickle
        for want of staff (the completeness gate would rightly call that day incomplete); a team
        left with nobody at all keeps its one sick CSS at work."""
        for qq in np.unique(q).tolist():
            if not (self.q24[qq] or (site_open and self.queues[qq].cal.open_at(g.tk + 1).any())):
                continue
            team = q == qq
            short = 2 - int((team & sched & ~unplanned & ~training).sum())
            if short <= 0:
                continue
            called = np.nonzero(team & ~sched & ~planned)[0][:short]
            sched[called] = True
            if not (team & sched & ~unplanned & ~training).any():  # a one-CSS team's sick day
                unplanned[np.nonzero(team & unplanned)[0][:1]] = False

    @staticmethod
    def _greedy(rng, members, cand, L, demand) -> np.ndarray:
        """Shift starts that cover the demand curve best, one CSS at a time."""
        need = np.concatenate([demand.astype(float), np.zeros(L)])
        total = need.sum()
        if total <= 0:
            need[cand] = 1.0
            total = need.sum()
        need *= len(members) * L / total
        jitter = rng.random((len(members), len(cand))) * 0.3
        out = np.empty(len(members), np.int64)
        for j in range(len(members)):
            cs = np.concatenate([[0.0], np.cumsum(need)])
            k = int(cand[int(np.argmax(cs[cand + L] - cs[cand] + jitter[j]))])
            out[j] = k
            need[k : k + L] -= 1
        order = rng.permutation(len(members))
        return out[np.argsort(order)]

    @staticmethod
    def _template(total: int, d: dict, j: int, training: bool) -> list[tuple[int, int, int]]:
        """(activity, start minute, end minute) of one shift of `total` minutes."""
        on = _TRAINING if training else _ON
        if total < 450:
            half = (total - 15) // 2
            return [(on, 0, half), (_BREAK, half, half + 15), (on, half + 15, total)]
        j1, j2 = int(d["j1"][j]), int(d["j2"][j])
        lens = [120 + 15 * j1, 15, 120 - 15 * j1 + 15 * j2, 30, 105 - 15 * j2, 15]
        kinds = [on, _BREAK, on, _LUNCH, on, _BREAK, on]
        lens.append(total - sum(lens))
        out, t = [], 0
        for kind, n in zip(kinds, lens, strict=True):
            out.append((kind, t, t + n))
            t += n
        if not training and d["meet"][j]:  # a 30-minute team meeting in the afternoon
            kind, a, b = out[4]
            x = int(d["meetx"][j])
            out[4:5] = [(kind, a, a + x), (_MEETING, a + x, a + x + 30), (kind, a + x + 30, b)]
        if not training and d["trn"][j] and out[-1][2] - out[-1][1] >= 90:
            kind, a, b = out[-1]
            x = int(d["trnx"][j])
            out[-1:] = [(kind, a, a + x), (_TRAINING, a + x, a + x + 60), (kind, a + x + 60, b)]
        return [o for o in out if o[2] > o[1]]

    # -- activity ------------------------------------------------------------------------------

    def site_day(self, s: int, day: int, w: _Writer) -> None:
        g = self.grid(s, day)
        plan = self.plan(s, day)
        pairs = self._pairs(g, [self.plan(s, day - 1), plan])
        handled, truths = _Handled(), {}
        self._workforce(s, day, plan, w)
        self._voice(s, day, g, pairs, handled, truths, w)
        self._chat(s, day, g, pairs, handled, truths, w)
        self._tickets(s, day, g, handled, truths, w)
        h = handled.arrays()
        self._surveys(s, day, h, w)
        self._qa(s, day, h, w)
        self._forecasts(s, day, g, truths, w)

    def _emit(self, w: _Writer, entity: str, s: int, frame: dict) -> None:
        zone = self.sites[s].zone
        n = len(frame["__when"])
        frame.setdefault("site_id", np.full(n, self.sites[s].site_id.encode()))
        w.add(entity, self.sites[s].site_id, zone, frame, zone.local_day(frame["__when"]))

    def _pairs(self, g: _Grid, plans: list[_Plan]):
        """(interval, assignment, present) for every CSS on queue at each interval's midpoint."""
        a = np.concatenate([p.seg_a for p in plans])
        kind = np.concatenate([p.seg_kind for p in plans])
        st = np.concatenate([p.seg_start for p in plans])
        en = np.concatenate([p.seg_end for p in plans])
        pres = np.concatenate([p.seg_present for p in plans])
        on = kind == _ON
        a, st, en, pres = a[on], st[on], en[on], pres[on]
        mid = g.tk + HALF // 2
        lo = np.searchsorted(mid, st, side="left")
        cnt = np.searchsorted(mid, en, side="left") - lo
        rep = np.repeat(np.arange(len(a)), cnt)
        return lo[rep] + _within(cnt), a[rep], pres[rep]

    def _staff(self, pairs, qq: int, n: int):
        k, a, pres = pairs
        sel = self.roster.queue[a] == qq
        scheduled = np.bincount(k[sel], minlength=n)
        sel &= pres
        ks, as_ = k[sel], a[sel]
        order = np.lexsort((as_, ks))
        ks, as_ = ks[order], as_[order]
        return scheduled, np.bincount(ks, minlength=n), np.searchsorted(ks, np.arange(n + 1)), as_

    def _customers(self, rng, prog: np.ndarray) -> np.ndarray:
        u = rng.random(len(prog))
        return self.pool_base[prog] + (u * self.pool_size[prog]).astype(np.int64)

    def _workforce(self, s: int, day: int, plan: _Plan, w: _Writer) -> None:
        r, ids = self.roster, self.agent_ids
        rng = _rng(self.seed, day, s, _STATES)
        frame = {
            "agent_id": ids[plan.seg_a],
            "activity": _ACTIVITY[plan.seg_kind],
            "started_at": plan.seg_start,
            "ended_at": plan.seg_end,
            "__when": plan.seg_start,
        }
        self._emit(w, "wfm_schedules", s, frame)

        ga, gs, ge, gocc, gtrain = plan.gaps
        norm = ~gtrain
        a_n, s_n, e_n = ga[norm], gs[norm], ge[norm]
        ch = r.chan[a_n]
        h_med = np.array([1300.0, 2100.0, 2400.0])[ch]
        c_med = np.array([80.0, 50.0, 25.0])[ch]
        busy = (h_med + c_med) * math.exp(0.125)
        avail = busy * (1 - gocc[norm]) / gocc[norm]
        K = (np.ceil((e_n - s_n) / (busy + avail) * 2) + 3).astype(np.int64)
        rep = np.repeat(np.arange(len(a_n)), K)
        m = len(rep)
        dur = np.stack(
            [
                rng.exponential(avail[rep]),
                rng.lognormal(np.log(h_med[rep]), 0.5),
                rng.lognormal(np.log(c_med[rep]), 0.5),
            ],
            axis=1,
        )
        dur = np.maximum(1, np.rint(dur)).astype(np.int64).ravel()
        gi = np.repeat(rep, 3)
        cs = np.cumsum(dur)
        first = np.cumsum(3 * K) - 3 * K
        ps = s_n[gi] + cs - dur - (cs[first] - dur[first])[gi]
        keep = ps < e_n[gi]
        gi, ps = gi[keep], ps[keep]
        pe = np.minimum(ps + dur[keep], e_n[gi])
        state = np.tile(np.array([1, 2, 3]), m)[keep]
        nr_a, nr_r, nr_s, nr_e = plan.nr
        la, lt = plan.logout
        tr_a, tr_s, tr_e = ga[gtrain], gs[gtrain], ge[gtrain]
        agent = np.concatenate([a_n[gi], nr_a, tr_a, la])
        chan_s = np.concatenate(
            [_lookup(_CHANNELS)[r.chan[a_n[gi]]], np.full(len(nr_a) + len(tr_a) + len(la), b"")]
        )
        start = np.concatenate([ps, nr_s, tr_s, lt])
        not_ready = np.full(len(nr_a) + len(tr_a), 4)
        frame = {
            "agent_id": ids[agent],
            "state": _STATE[np.concatenate([state, not_ready, np.zeros(len(la), np.int64)])],
            "reason": _REASON[
                np.concatenate(
                    [
                        np.zeros(len(ps), np.int64),
                        nr_r,
                        np.full(len(tr_a), _TRAINING),
                        np.zeros(len(la), np.int64),
                    ]
                )
            ],
            "started_at": start,
            "ended_at": np.concatenate([pe, nr_e, tr_e, np.full(len(la), NA)]),
            "channel": chan_s,
            "__when": start,
        }
        self._emit(w, "agent_states", s, frame)

        ab_a, ab_h, ab_p = plan.absences
        n = len(ab_a)
        frame = {
            "employee_id": ids[ab_a],
            "date": np.full(n, day, np.int64),
            "hours": np.asarray(ab_h, float),
            "planned": ab_p.astype(np.int8),
            "__when": np.full(n, self.sites[s].zone.midnight(day)),
        }
        self._emit(w, "absences", s, frame)

    def _pick(self, rng, staff, k: np.ndarray, fallback_k: np.ndarray) -> np.ndarray:
        """A CSS on queue at interval k (else at fallback_k) for each contact; -1 if none."""
        _, _, ptr, agents = staff
        cnt = ptr[k + 1] - ptr[k]
        k = np.where(cnt > 0, k, fallback_k)
        cnt = ptr[k + 1] - ptr[k]
        pos = ptr[k] + (rng.random(len(k)) * np.maximum(cnt, 1)).astype(np.int64)
        return (
            np.where(cnt > 0, agents[np.minimum(pos, max(len(agents) - 1, 0))], -1)
            if len(agents)
            else np.full(len(k), -1)
        )

    def _voice(self, s, day, g, pairs, handled: _Handled, truths: dict, w: _Writer) -> None:
        rng = _rng(self.seed, day, s, _VOICE)
        queues = [q for q in self.queues if q.site == s and q.channel == "voice"]
        staff = {q.idx: self._staff(pairs, q.idx, g.n) for q in queues}
        wd = _weekday(day)
        erl, parts = {}, []
        for q in queues:
            prog = _PROGRAMS[q.program]
            sched, present, _, _ = staff[q.idx]
            open_k = q.cal.open_at(g.tk + 1)
            load = np.minimum(np.maximum(sched - np.sqrt(sched), 0.3 * sched), 0.8 * sched)
            prof = _PROFILE["voice"][g.lidx] * open_k
            base = np.zeros(g.n)
            if prof.sum() > 0 and load.sum() > 0:
                # Demand follows the intraday curve; staffing follows it only roughly.
                shape = 0.05 * prof / prof.sum() + 0.95 * load / load.sum()
                base = load.sum() * HALF / q.aht * shape * _VOICE_WEEKDAY[wd]
            truths[q.idx] = (base, q.aht)
            lam = base * rng.lognormal(0, 0.05)
            a_load = lam * q.aht / HALF
            pw = _erlang_c(present, a_load)
            mw = np.where(a_load < present, q.aht / np.maximum(present - a_load, 1e-9), 600.0)
            erl[q.idx] = (pw, mw)
            counts = rng.poisson(lam + 0.05 * ~open_k)  # a trickle of calls while closed
            k = np.repeat(np.arange(g.n), counts)
            n = len(k)
            t = g.tk[k] + rng.integers(0, HALF, n)
            wait = np.where(rng.random(n) < pw[k], rng.exponential(mw[k]), 0.0)
            wait += rng.integers(1, 6, n)  # ringing
            inf = np.full(n, np.inf)
            callback = inf
            if q.callback:
                callback = np.where(rng.random(n) < 0.15, rng.uniform(45, 75, n), inf)
            cand = np.stack(
                [
                    wait,
                    np.where(rng.random(n) < 0.03, rng.uniform(0.5, 8, n), rng.exponential(480, n)),
                    np.where(rng.random(n) < 0.015, rng.uniform(20, 120, n), inf),
                    callback,
                    np.full(n, 120.0) if q.overflow_to >= 0 else inf,
                    np.full(n, float(q.max_wait)),
                ]
            )
            outcome = np.argmin(cand, axis=0)
            e = cand[outcome, np.arange(n)]
            nobody = ~open_k[k] | (present[k] == 0)
            outcome[nobody] = 7
            e = np.where(nobody, rng.integers(0, 4, n), e)
            others = [o.idx for o in queues if o.idx != q.idx]
            tr = (outcome == 0) & (rng.random(n) < 0.045) & bool(others)
            outcome[tr] = 6
            talk = _lognormal(rng, prog.talk_median, 0.55, n) * np.where(tr, 0.6, 1.0)
            hold = np.where(rng.random(n) < 0.3, _lognormal(rng, 45, 0.6, n), 0.0)
            acw = np.where(tr, rng.integers(3, 20, n), _lognormal(rng, 35, 0.5, n))
            to_q = np.full(n, -1)
            if others:
                to_q[tr] = np.array(others)[rng.integers(0, len(others), int(tr.sum()))]
                # CSS transfer only to queues that are open; otherwise the call ends here.
                shut = tr.copy()
                for o in others:
                    shut[to_q == o] &= ~self.queues[o].cal.open_at(t[to_q == o])
                outcome[shut], to_q[shut] = 0, -1
            to_q[outcome == 4] = q.overflow_to
            parts.append(
                {
                    "t": t,
                    "q": np.full(n, q.idx),
                    "k": k,
                    "outcome": outcome,
                    "wait": np.rint(e).astype(np.int64),
                    "talk": talk,
                    "hold": hold,
                    "acw": acw,
                    "to_q": to_q,
                    "cust": self._customers(rng, np.full(n, q.program)),
                }
            )
        if not parts:
            return
        c = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        order = np.lexsort((c["q"], c["t"]))
        c = {key: v[order] for key, v in c.items()}
        n = len(c["t"])
        num = np.arange(n)
        cids = _ids(f"{self.sites[s].site_id}-V{_date(day):%Y%m%d}-", num + 1, 6)
        seg1 = self._segments(rng, g, staff, c, c["k"])
        c["to_q"] = np.where(np.isin(seg1["outcome"], (4, 6)), c["to_q"], -1)

        # Second segments: transfers and overflows enter another queue; callbacks go out.
        p2 = np.nonzero(np.isin(seg1["outcome"], (3, 4, 6)))[0]
        m = len(p2)
        oc = seg1["outcome"][p2]
        off2 = np.where(oc == 6, seg1["ended"][p2], c["t"][p2] + c["wait"][p2])
        off2 = off2 + np.where(oc == 3, rng.integers(120, 900, m), 0)
        q2 = np.where(oc == 3, c["q"][p2], c["to_q"][p2])
        k2 = g.k(off2)
        wait2 = np.zeros(m)
        out2 = np.zeros(m, np.int64)
        for qq in np.unique(q2).tolist():
            sel = (q2 == qq) & (oc != 3)
            pw, mw = erl[qq]
            kk = k2[sel]
            ns = int(sel.sum())
            wv = np.where(rng.random(ns) < pw[kk], rng.exponential(mw[kk]), 0.0)
            wv += rng.integers(1, 6, ns)
            pat = rng.exponential(240, ns)
            wait2[sel] = np.minimum(wv, pat)
            out2[sel] = np.where(pat < wv, 1, 0)
            nobody = sel & (staff[qq][1][k2] == 0)
            out2[nobody] = 7
            wait2[nobody] = rng.integers(0, 4, int(nobody.sum()))
        wait2[oc == 3] = rng.integers(5, 25, int((oc == 3).sum()))  # dialling the customer
        talk2 = _lognormal(rng, 260, 0.55, m)
        c2 = {
            "t": off2,
            "q": q2,
            "k": k2,
            "outcome": out2,
            "wait": np.rint(wait2).astype(np.int64),
            "talk": talk2,
            "hold": np.where(rng.random(m) < 0.3, _lognormal(rng, 45, 0.6, m), 0),
            "acw": _lognormal(rng, 35, 0.5, m),
            "to_q": np.full(m, -1),
            "cust": c["cust"][p2],
        }
        seg2 = self._segments(rng, g, staff, c2, c["k"][p2], parent_agent=seg1["agent"][p2])
        seg2["direction"] = np.where(oc == 3, 1, 0)

        site_id = self.sites[s].site_id.encode()
        qids = _lookup([q.queue_id for q in self.queues])
        qprog = np.array([q.program for q in self.queues])
        pids = _lookup([p.program_id for p in _PROGRAMS])
        frames = []
        for cc, seg, cid, segid in ((c, seg1, cids, b"1"), (c2, seg2, cids[p2], b"2")):
            nn = len(cc["t"])
            frames.append(
                {
                    "contact_id": cid,
                    "segment_id": np.full(nn, segid),
                    "site_id": np.full(nn, site_id),
                    "program_id": pids[qprog[cc["q"]]],
                    "queue_id": qids[cc["q"]],
                    "channel": np.full(nn, b"voice"),
                    "direction": _DIRECTION[seg.get("direction", np.zeros(nn, np.int64))],
                    "customer_key": _ids("cust-", cc["cust"], 8),
                    "offered_at": cc["t"],
                    "answered_at": seg["answered"],
                    "ended_at": seg["ended"],
                    "abandoned": (seg["outcome"] == 1).astype(np.int8),
                    "outcome": _OUTCOME[seg["outcome"]],
                    "wait_seconds": cc["wait"],
                    "talk_seconds": seg["talk"],
                    "hold_seconds": seg["hold"],
                    "acw_seconds": seg["acw"],
                    "agent_id": self.agent_ids[seg["agent"]],
                    "transferred_to_queue": qids[cc["to_q"]],
                    "__when": cc["t"],
                }
            )
        frame = {key: np.concatenate([f[key] for f in frames]) for key in frames[0]}
        self._emit(w, "acd_contacts", s, frame)

        # The customer's view for surveys and QA: the segment that finally served them.
        fin1 = seg1["outcome"] == 0
        handled.add(
            cids[fin1],
            b"voice",
            qprog[c["q"][fin1]],
            seg1["agent"][fin1],
            seg1["ended"][fin1] + seg1["acw"][fin1],
            c["wait"][fin1],
            np.zeros(fin1.sum()),
        )
        fin2 = seg2["outcome"] == 0
        handled.add(
            cids[p2][fin2],
            b"voice",
            qprog[q2[fin2]],
            seg2["agent"][fin2],
            seg2["ended"][fin2] + seg2["acw"][fin2],
            c["wait"][p2][fin2] + c2["wait"][fin2],
            np.where(oc[fin2] == 6, 0.3, 0.1),
        )

    def _segments(self, rng, g, staff, c, fallback_k, parent_agent=None) -> dict:
        n = len(c["t"])
        outcome = c["outcome"].copy()
        served = np.isin(outcome, (0, 6))
        answered = np.where(served, c["t"] + c["wait"], NA)
        talk = np.maximum(1, np.rint(c["talk"])).astype(np.int64)
        hold = np.rint(c["hold"]).astype(np.int64)
        acw = np.maximum(1, np.rint(c["acw"])).astype(np.int64)
        agent = np.full(n, -1)
        for qq in np.unique(c["q"]).tolist():
            sel = (c["q"] == qq) & served
            kk = g.k(answered[sel])
            agent[sel] = self._pick(
                rng, staff[qq], kk, np.asarray(fallback_k)[sel] if np.ndim(fallback_k) else kk
            )
        if parent_agent is not None:  # a callback with nobody on queue goes back to the same CSS
            agent = np.where(served & (agent < 0), parent_agent, agent)
        lost = served & (agent < 0)
        outcome[lost] = 7
        served &= ~lost
        answered = np.where(served, answered, NA)
        gone = c["t"] + c["wait"] + np.where(outcome == 7, 10, 0)
        ended = np.where(served, answered + talk + hold, gone)
        return {
            "outcome": outcome,
            "answered": answered,
            "ended": ended,
            "talk": np.where(served, talk, NA),
            "hold": np.where(served, hold, NA),
            "acw": np.where(served, acw, NA),
            "agent": agent,
        }

    def _chat(self, s, day, g, pairs, handled: _Handled, truths: dict, w: _Writer) -> None:
        rng = _rng(self.seed, day, s, _CHAT)
        r = self.roster
        queues = [q for q in self.queues if q.site == s and q.channel == "chat"]
        sessions, messages, served, offset = [], [], [], 0
        for q in queues:
            prog = _PROGRAMS[q.program]
            k_, a_, pres_ = pairs
            sel = r.queue[a_] == q.idx
            slots_sched = np.bincount(k_[sel], weights=r.slots[a_[sel]], minlength=g.n)
            kp, ap = k_[sel & pres_], a_[sel & pres_]
            cnt = r.slots[ap]
            rep = np.repeat(np.arange(len(ap)), cnt)
            slot_k, slot_id = kp[rep], ap[rep] * 4 + _within(cnt)
            order = np.lexsort((slot_id, slot_k))
            slot_k, slot_id = slot_k[order], slot_id[order]
            ptr = np.searchsorted(slot_k, np.arange(g.n + 1))
            offered_k = (ptr[1:] - ptr[:-1]) > 0  # the chat button shows only while staffed
            prof = _PROFILE["chat"][g.lidx] * q.cal.open_at(g.tk + 1) * offered_k
            base = np.zeros(g.n)
            if prof.sum() > 0:
                base = slots_sched.sum() * 0.38 * HALF / _CHAT_BUSY * prof / prof.sum()
            truths[q.idx] = (base, _CHAT_BUSY)
            lam = base * rng.lognormal(0, 0.08)
            n_r = rng.poisson(0.85 * lam)
            n_p = rng.poisson(0.15 * lam / 0.35)
            kr, kpro = np.repeat(np.arange(g.n), n_r), np.repeat(np.arange(g.n), n_p)
            t_r = g.tk[kr] + rng.integers(0, HALF, len(kr))
            t_p = g.tk[kpro] + rng.integers(0, HALF, len(kpro))
            acc = rng.random(len(t_p)) < 0.35
            req = np.concatenate([t_r, t_p[acc] + rng.integers(4, 40, int(acc.sum()))])
            inv = np.concatenate([np.full(len(t_r), NA), t_p[acc]])
            karr = np.concatenate([kr, kpro[acc]])
            m = len(req)

            # What each chat would look like once a CSS picks it up (times relative to then).
            nb = np.where(rng.random(m) < prog.bot_prechat, rng.integers(1, 3, m), 0)
            c1 = req + rng.integers(3, 20, m)
            b1 = c1 + rng.integers(2, 6, m)
            r1 = b1 + rng.integers(6, 20, m)
            b2 = r1 + rng.integers(2, 6, m)
            r2 = b2 + rng.integers(6, 20, m)
            qt = np.select([nb == 0, nb == 1], [req + 2, r1 + 1], r2 + 1)
            pat = np.where(rng.random(m) < 0.03, rng.uniform(3, 40, m), rng.exponential(600, m))
            react = np.maximum(2, np.rint(_lognormal(rng, 8, 0.6, m))).astype(np.int64)
            noreply = rng.random(m) < 0.03
            reason = np.where(noreply, 3, rng.choice(4, m, p=[0.80, 0.09, 0.06, 0.05]))
            mpost = np.where(noreply, 1 + (rng.random(m) < 0.5), 2 * (1 + rng.poisson(1.5, m)) + 1)
            ci, j = np.repeat(np.arange(m), mpost), _within(mpost)
            tot = len(ci)
            cust = (j % 2 == 1) & ~noreply[ci]
            gap = np.select(
                [j == 0, cust & (j == 1), cust, noreply[ci]],
                [
                    np.zeros(tot),
                    _lognormal(rng, 30, 0.6, tot),
                    _lognormal(rng, 90, 0.7, tot),
                    rng.uniform(90, 150, tot),
                ],
                _lognormal(rng, 70, 0.6, tot),
            )
            gap = np.maximum(np.rint(gap), j > 0).astype(np.int64)
            cs = np.cumsum(gap)
            first = np.cumsum(mpost) - mpost
            rel = cs - cs[first][ci]
            end_rel = rel[first + mpost - 1] + np.choose(
                reason,
                [
                    rng.integers(15, 60, m),
                    rng.integers(30, 120, m),
                    rng.integers(5, 20, m),
                    rng.integers(240, 420, m),
                ],
            )
            wrap = np.maximum(5, np.rint(_lognormal(rng, 40, 0.5, m))).astype(np.int64)
            busy = end_rel + wrap

            # Deal chats round-robin to the slots on queue, then serve each slot in order.
            order = np.lexsort((qt, karr))
            kk = karr[order]
            within = _within(np.bincount(kk, minlength=g.n))
            nslots = ptr[kk + 1] - ptr[kk]
            rot = rng.integers(0, 1 << 30, g.n)
            slot = np.full(m, -1)
            slot[order] = np.where(
                nslots > 0,
                slot_id[
                    np.minimum(
                        ptr[kk] + (within + rot[kk]) % np.maximum(nslots, 1),
                        max(len(slot_id) - 1, 0),
                    )
                ]
                if len(slot_id)
                else -1,
                -1,
            )
            f = np.full(m, NA)
            left = slot < 0
            o2 = np.lexsort((qt, slot))
            o2 = o2[slot[o2] >= 0]
            _, inv_s, counts = np.unique(slot[o2], return_inverse=True, return_counts=True)
            rank = _within(counts)
            free = np.full(len(counts), np.iinfo(np.int64).min // 2)
            for rr in range(int(counts.max(initial=0))):
                pos = np.nonzero(rank == rr)[0]
                chn, gi = o2[pos], inv_s[pos]
                fv = np.maximum(qt[chn], free[gi]) + react[chn]
                lf = (fv - qt[chn]) > pat[chn]
                f[chn] = fv
                left[chn] = lf
                free[gi[~lf]] = fv[~lf] + busy[chn[~lf]]
            agent = np.where(left, -1, slot // 4)
            ended = np.where(left, qt + np.rint(pat).astype(np.int64), f + end_rel)
            first_resp = np.where(left, NA, f)
            replied = np.where(left | noreply, NA, f + rel[first + np.where(noreply, 0, 1)])
            established = ~left & ~noreply

            # Proactive invitations the customer declined or ignored.
            dec = t_p[~acc]
            nd = len(dec)
            cust_all = self._customers(rng, np.full(m + nd, q.program))
            sessions.append(
                {
                    "q": np.full(m + nd, q.idx),
                    "chat_type": np.concatenate(
                        [
                            np.zeros(len(t_r), np.int64),
                            np.ones(int(acc.sum()), np.int64),
                            np.ones(nd, np.int64),
                        ]
                    ),
                    "invited_at": np.concatenate([inv, dec]),
                    "requested_at": np.concatenate([req, np.full(nd, NA)]),
                    "first_human_response_at": np.concatenate([first_resp, np.full(nd, NA)]),
                    "customer_replied_at": np.concatenate([replied, np.full(nd, NA)]),
                    "established": np.concatenate([established, np.zeros(nd, bool)]).view(np.int8),
                    "ended_at": np.concatenate([ended, dec + rng.integers(5, 60, nd)]),
                    "end_reason": np.concatenate(
                        [np.where(left, 1, reason), np.where(rng.random(nd) < 0.6, 1, 3)]
                    ),
                    "agent": np.concatenate([agent, np.full(nd, -1)]),
                    "wrap_seconds": np.concatenate([np.where(left, NA, wrap), np.full(nd, NA)]),
                    "cust": cust_all,
                    "__when": np.concatenate([req, dec]),
                }
            )

            # Messages: greeting, the customer's question, the bot, then the conversation.
            idx = np.arange(m)
            msg = [(idx, 3, req + 1), (idx, 0, c1)]
            for jj, (bt, rt) in enumerate(((b1, r1), (b2, r2))):
                has = nb > jj
                msg += [(idx[has], 2, bt[has]), (idx[has], 0, rt[has])]
            mi = np.concatenate([x[0] for x in msg])
            ms = np.concatenate([np.full(len(x[0]), x[1]) for x in msg])
            mt = np.concatenate([x[2] for x in msg])
            keep = ~left[mi] | (mt < ended[mi])
            post = ~left[ci]
            sender = np.where(cust, 0, 1)
            mi = np.concatenate([mi[keep], ci[post]]) + offset
            ms = np.concatenate([ms[keep], sender[post]])
            mt = np.concatenate([mt[keep], f[ci[post]] + rel[post]])
            messages.append((mi, ms, mt))

            ok = np.flatnonzero(established & (agent >= 0))
            served.append(
                (
                    ok + offset,
                    np.full(len(ok), q.program),
                    agent[ok],
                    ended[ok] + wrap[ok],
                    first_resp[ok] - req[ok],
                    np.where(reason[ok] == 2, 0.3, 0.0),
                )
            )
            offset += m + nd
        if not sessions:
            return
        c = {key: np.concatenate([x[key] for x in sessions]) for key in sessions[0]}
        n = len(c["q"])
        order = np.lexsort((c["q"], c["__when"]))
        num = np.empty(n, np.int64)
        num[order] = np.arange(n)
        chat_ids = _ids(f"{self.sites[s].site_id}-C{_date(day):%Y%m%d}-", num + 1, 6)
        for i, prog, agent, end, wait, pen in served:
            handled.add(chat_ids[i], b"chat", prog, agent, end, wait, pen)
        qids = _lookup([q.queue_id for q in self.queues])
        qprog = np.array([q.program for q in self.queues])
        frame = {
            "chat_id": chat_ids,
            "program_id": _lookup([p.program_id for p in _PROGRAMS])[qprog[c["q"]]],
            "queue_id": qids[c["q"]],
            "chat_type": _CHAT_TYPE[c["chat_type"]],
            "end_reason": _END_REASON[c["end_reason"]],
            "agent_id": self.agent_ids[c["agent"]],
            "customer_key": _ids("cust-", c["cust"], 8),
            **{
                key: c[key]
                for key in (
                    "invited_at",
                    "requested_at",
                    "first_human_response_at",
                    "customer_replied_at",
                    "established",
                    "ended_at",
                    "wrap_seconds",
                    "__when",
                )
            },
        }
        self._emit(w, "chat_sessions", s, frame)
        mi = np.concatenate([x[0] for x in messages])
        mt = np.concatenate([x[2] for x in messages])
        frame = {
            "chat_id": chat_ids[mi],
            "sender": _SENDER[np.concatenate([x[1] for x in messages])],
            "sent_at": mt,
            "__when": mt,
        }
        zone = self.sites[s].zone
        w.add("chat_messages", self.sites[s].site_id, zone, frame, zone.local_day(mt))

    def _life(self, rng, q: _Queue, received: np.ndarray, prio: np.ndarray) -> dict:
        """Status history of tickets in business hours of their queue's calendar."""
        biz = self.biz[q.idx]
        n = len(received)
        cap = 40 * 12 * 3600  # keep lognormal tails inside the business-time horizon

        def hours(median: float, sigma: float) -> np.ndarray:
            return np.minimum(_lognormal(rng, median * 3600, sigma, n), cap).astype(np.int64)

        urgent = prio >= 2
        cycle = np.where(urgent, 0.5, 1.0) * q.cycle_hours * 3600
        due = biz.add(received, cycle.astype(np.int64))
        resp_due = biz.add(received, np.where(prio == 0, 8, 4) * 3600)
        fr = biz.add(received, hours(1.5, 0.9))
        fr = np.maximum(fr, received + 120)
        pick = np.maximum(received + 1, fr - rng.integers(60, 900, n))
        pending = rng.random(n) < 0.3
        pend_end = np.where(pending, fr + np.maximum(60, _lognormal(rng, 20 * 3600, 0.8, n)), fr)
        pend_end = pend_end.astype(np.int64)
        solve1 = biz.add(pend_end, hours(4, 0.9))
        reopen = rng.random(n) < 0.05
        reopen_t = solve1 + rng.integers(2 * 3600, 90 * 3600, n)
        solve2 = biz.add(reopen_t, hours(3, 0.8))
        final = np.where(reopen, solve2, solve1)
        return {
            "due": due,
            "resp_due": resp_due,
            "fr": fr,
            "pick": pick,
            "pending": pending,
            "pend_end": pend_end,
            "solve1": solve1,
            "reopen": reopen,
            "reopen_t": reopen_t,
            "solve2": solve2,
            "final": final,
            "close": final + 4 * DAY,
        }

    def _tickets(self, s, day, g, handled: _Handled, truths: dict, w: _Writer) -> None:
        rng = _rng(self.seed, day, s, _TICKETS)
        r, site = self.roster, self.sites[s]
        queues = [q for q in self.queues if q.site == s and q.channel in ("email", "backoffice")]
        act = (r.site == s) & (r.hired <= day) & (day <= r.sep)
        end_ts = site.zone.midnight(self.end_day)
        wts = _TICKET_ARRIVALS[g.lidx] / _TICKET_ARRIVALS[g.lidx].sum()
        parts = []
        for q in queues:
            mail = act & (r.prog == q.program) & (r.chan == 2)
            eff = mail.sum() if mail.any() else 0.3 * (act & (r.prog == q.program)).sum()
            lam = eff * (30 if q.channel == "email" else 12) * _TICKET_WEEKDAY[_weekday(day)]
            truths[q.idx] = (lam * wts, q.aht)
            n = rng.poisson(lam * rng.lognormal(0, 0.1))
            t = g.tk[rng.choice(g.n, n, p=wts)] + rng.integers(0, HALF, n)
            chan = np.where(q.channel == "backoffice", 2, np.where(rng.random(n) < 0.12, 1, 0))
            parts.append(
                {
                    "q": np.full(n, q.idx),
                    "t": t,
                    "chan": chan,
                    "prio": rng.choice(4, n, p=[0.08, 0.75, 0.15, 0.02]),
                    "cust": self._customers(rng, np.full(n, q.program)),
                    "parent": np.full(n, -1),
                }
            )
        if not parts:
            return
        c = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        order = np.lexsort((c["q"], c["t"]))
        c = {k: v[order] for k, v in c.items()}
        life = self._lives(rng, c)

        # Multi-step cases: follow-ups after a solve, and back-office steps of retail emails.
        n0 = len(c["t"])
        follow = np.nonzero((rng.random(n0) < 0.06) & (c["chan"] < 2))[0]
        kids = [
            {
                "q": c["q"][follow],
                "t": life["final"][follow] + rng.integers(3600, 4 * DAY, len(follow)),
                "chan": c["chan"][follow],
                "prio": c["prio"][follow],
                "cust": c["cust"][follow],
                "parent": follow,
            }
        ]
        bo = [q.idx for q in queues if q.channel == "backoffice"]
        if bo:
            retail = self.qkey[(s, 0, "email")]
            step = np.nonzero((c["q"] == retail) & (rng.random(n0) < 0.10))[0]
            kids.append(
                {
                    "q": np.full(len(step), bo[0]),
                    "t": life["fr"][step] + rng.integers(600, 7200, len(step)),
                    "chan": np.full(len(step), 2),
                    "prio": c["prio"][step],
                    "cust": c["cust"][step],
                    "parent": step,
                }
            )
        k = {key: np.concatenate([x[key] for x in kids]) for key in kids[0]}
        klife = self._lives(rng, k)
        c = {key: np.concatenate([c[key], k[key]]) for key in c}
        life = {key: np.concatenate([life[key], klife[key]]) for key in life}
        n = len(c["t"])
        tids = _ids(f"{site.site_id}-T{_date(day):%Y%m%d}-", np.arange(1, n + 1), 5)
        root = np.where(c["parent"] >= 0, c["parent"], np.arange(n))
        in_case = np.zeros(n, bool)
        in_case[c["parent"][c["parent"] >= 0]] = True
        in_case |= c["parent"] >= 0
        case_id = np.where(in_case, np.char.add(b"CASE-", tids[root]), b"")

        # Status history; the export shows each ticket as it stood at the end of the period.
        L = life
        steps = [
            (c["t"], -1, 0, np.ones(n, bool)),
            (L["pick"], 0, 1, np.ones(n, bool)),
            (L["fr"], 1, 2, L["pending"]),
            (L["pend_end"], 2, 1, L["pending"]),
            (L["solve1"], 1, 3, np.ones(n, bool)),
            (L["reopen_t"], 3, 1, L["reopen"]),
            (L["solve2"], 1, 3, L["reopen"]),
            (L["close"], 3, 4, np.ones(n, bool)),
        ]
        ev_i = np.concatenate([np.nonzero(m)[0] for *_, m in steps])
        ev_t = np.concatenate([t[m] for t, _, _, m in steps])
        ev_from = np.concatenate([np.full(int(m.sum()), a) for _, a, _, m in steps])
        ev_to = np.concatenate([np.full(int(m.sum()), b) for _, _, b, m in steps])
        seen = ev_t < end_ts
        last_t = np.full(n, NA)
        np.maximum.at(last_t, ev_i[seen], ev_t[seen])
        status = np.zeros(n, np.int64)
        hit = seen & (ev_t == last_t[ev_i])
        status[ev_i[hit]] = ev_to[hit]

        # Assign to a CSS who is still there when the ticket's last step happens.
        last_day = site.zone.local_day(last_t)
        assignee = np.full(n, -1)
        for qq in np.unique(c["q"]).tolist():
            qu = self.queues[qq]
            pool = np.nonzero(act & (r.prog == qu.program) & (r.chan == 2))[0]
            if not len(pool):
                pool = np.nonzero(act & (r.prog == qu.program))[0]
            if not len(pool):
                pool = np.nonzero(act)[0]
            if not len(pool):
                continue
            pool = pool[np.argsort(-r.sep[pool], kind="stable")]
            seps = -r.sep[pool]
            sel = np.nonzero(c["q"] == qq)[0]
            ok = np.searchsorted(seps, -last_day[sel], side="right")
            pick = (rng.random(len(sel)) * np.maximum(ok, 1)).astype(np.int64)
            assignee[sel] = np.where(ok > 0, pool[np.minimum(pick, len(pool) - 1)], -1)

        due_share = np.array([_PROGRAMS[q.program].due_share for q in self.queues])
        has_due = rng.random(n) < due_share[c["q"]]
        has_due |= (c["chan"] == 2) & (rng.random(n) < 0.5)
        done = L["final"] < end_ts
        # The handle time the ticketing system captured, around the queue's AHT, for completed
        # items; drawn from a stream of its own, so every other value of the sample is unchanged.
        hrng = _rng(self.seed, day, s, _TICKETS, 1)
        aht = np.array([q.aht for q in self.queues])[c["q"]]
        handle = np.round(aht * hrng.lognormal(-0.125, 0.5, n))
        frame = {
            "ticket_id": tids,
            "case_id": case_id,
            "program_id": _lookup([p.program_id for p in _PROGRAMS])[
                np.array([q.program for q in self.queues])[c["q"]]
            ],
            "queue_id": _lookup([q.queue_id for q in self.queues])[c["q"]],
            "channel": _lookup(["email", "web", "backoffice"])[c["chan"]],
            "priority": _PRIORITY[c["prio"]],
            "customer_key": _ids("cust-", c["cust"], 8),
            "received_at": c["t"],
            "first_response_at": np.where(L["fr"] < end_ts, L["fr"], NA),
            "response_due_at": np.where(rng.random(n) < 0.7, L["resp_due"], NA),
            "completed_at": np.where(done, L["final"], NA),
            "due_at": np.where(has_due, L["due"], NA),
            "status": _TICKET_STATUS[status],
            "assignee_id": self.agent_ids[assignee],
            "handle_seconds": np.where(done, handle, np.nan),
            "__when": c["t"],
        }
        self._emit(w, "tickets", s, frame)
        ev_a = np.where(ev_to == 0, -1, assignee[ev_i])
        frame = {
            "ticket_id": tids[ev_i],
            "event_at": ev_t,
            "status_from": _TICKET_STATUS[ev_from],
            "status_to": _TICKET_STATUS[ev_to],
            "queue_id": _lookup([q.queue_id for q in self.queues])[c["q"][ev_i]],
            "assignee_id": self.agent_ids[ev_a],
            "__when": ev_t,
        }
        zone = site.zone
        w.add("ticket_events", site.site_id, zone, frame, zone.local_day(ev_t))

        fin = done & (assignee >= 0)
        late = (L["final"] > L["due"]) & (L["due"] != NA)
        handled.add(
            tids[fin],
            _lookup(["email", "web", "backoffice"])[c["chan"][fin]],
            np.array([q.program for q in self.queues])[c["q"][fin]],
            assignee[fin],
            L["final"][fin],
            np.zeros(int(fin.sum())),
            np.where(late[fin], 1.0, 0.0),
        )

    def _lives(self, rng, c: dict) -> dict:
        n = len(c["t"])
        out: dict[str, np.ndarray] = {}
        for qq in np.unique(c["q"]).tolist():
            sel = np.nonzero(c["q"] == qq)[0]
            life = self._life(rng, self.queues[qq], c["t"][sel], c["prio"][sel])
            for key, v in life.items():
                out.setdefault(key, np.zeros(n, v.dtype))[sel] = v
        if not out:
            for key in (
                "due",
                "resp_due",
                "fr",
                "pick",
                "pend_end",
                "solve1",
                "reopen_t",
                "solve2",
                "final",
                "close",
            ):
                out[key] = np.zeros(0, np.int64)
            out["pending"] = out["reopen"] = np.zeros(0, bool)
        return out

    def _surveys(self, s: int, day: int, h: dict, w: _Writer) -> None:
        rng = _rng(self.seed, day, s, _SURVEY)
        n = len(h["cid"])
        voice, chat = h["chan"] == b"voice", h["chan"] == b"chat"
        sel = rng.random(n) < np.select([voice, chat], [0.10, 0.12], 0.08)
        delay = np.select(
            [voice, chat],
            [rng.integers(30, 600, n), rng.integers(10, 600, n)],
            np.minimum(_lognormal(rng, 6 * 3600, 1.0, n), 10 * DAY),
        )
        resp = h["end"] + delay.astype(np.int64)
        z = 1.3 - h["wait"] / 180 - h["penalty"] + rng.normal(0, 1.0, n)
        s5 = 1 + (z > -1.2).astype(int) + (z > -0.4) + (z > 0.3) + (z > 1.0)
        s10 = np.clip(np.rint(6.2 + 2.2 * z), 1, 10)
        scale = np.array([p.scale_max for p in _PROGRAMS])[h["prog"]]
        score = np.where(scale == 10, s10, s5).astype(np.int64)
        effort = np.clip(np.rint(2.9 - 1.0 * z + rng.normal(0, 0.7, n)), 1, 7).astype(np.int64)
        has_effort = rng.random(n) < 0.4
        selection = rng.choice(3, n, p=[0.9, 0.03, 0.07])
        zone = self.sites[s].zone
        sel &= self.roster.sep[h["agent"]] >= zone.local_day(resp)  # no CSS after they left
        m = int(sel.sum())
        prefix = self.sites[s].site_id
        frame = {
            "response_id": _ids(f"{prefix}-S{_date(day):%Y%m%d}-", np.arange(1, m + 1), 5),
            "contact_id": h["cid"][sel],
            "channel": h["chan"][sel],
            "program_id": _lookup([p.program_id for p in _PROGRAMS])[h["prog"][sel]],
            "agent_id": self.agent_ids[h["agent"][sel]],
            "responded_at": resp[sel],
            "overall_score": score[sel],
            "overall_scale_min": np.ones(m, np.int64),
            "overall_scale_max": scale[sel].astype(np.int64),
            "effort_score": np.where(has_effort[sel], effort[sel], NA),
            "effort_scale_min": np.where(has_effort[sel], 1, NA),
            "effort_scale_max": np.where(has_effort[sel], 7, NA),
            "selection": _SELECTION[selection[sel]],
            "__when": resp[sel],
        }
        self._emit(w, "survey_responses", s, frame)

    def _qa(self, s: int, day: int, h: dict, w: _Writer) -> None:
        rng = _rng(self.seed, day, s, _QA)
        zone, r = self.sites[s].zone, self.roster
        cand = np.nonzero(h["agent"] >= 0)[0]
        cand = cand[rng.permutation(len(cand))]
        _, first = np.unique(h["agent"][cand], return_index=True)
        pick = np.sort(cand[first])  # one handled contact per CSS and day
        rate = np.array([p.qa_per_month for p in _PROGRAMS])[h["prog"][pick]] / 21.7
        pick = pick[rng.random(len(pick)) < rate]
        n = len(pick)
        live = (rng.random(n) < 0.12) & np.isin(h["chan"][pick], [b"voice", b"chat"])
        later = zone.to_utc(
            (zone.local_day(h["end"][pick]) + rng.integers(0, 4, n)) * DAY
            + rng.integers(int(9.5 * 3600), 17 * 3600, n)
        )
        later = np.maximum(later, h["end"][pick] + rng.integers(1800, 4 * 3600, n))
        when = np.where(live, h["end"][pick] + rng.integers(60, 900, n), later)
        targeted = rng.random(n) < 0.15
        qa = r.qa_ids[s]
        rows = {
            "i": pick,
            "mode": live.astype(np.int64),
            "sel": targeted.astype(np.int64),
            "when": when,
            "evaluator": qa[rng.integers(0, len(qa), n)],
        }
        mult = np.where(targeted, 2.5, 1.0)
        flags = rng.random((3, n)) < np.array([[0.05], [0.02], [0.015]]) * mult

        # Calibration: on the first Wednesday of a month every evaluator scores one contact.
        d = _date(day)
        if d.weekday() == 2 and d.day <= 7:
            evaluators = np.concatenate(r.qa_ids)
            for p in range(len(_PROGRAMS)):
                opts = np.nonzero((h["prog"] == p) & (h["agent"] >= 0))[0]
                if not len(opts):
                    continue
                i = int(opts[rng.integers(len(opts))])
                ne = len(evaluators)
                ref = rng.random(3) < np.array([0.15, 0.08, 0.05])
                t = int(h["end"][i]) + 7200
                rows = {
                    "i": np.append(rows["i"], np.full(ne, i)),
                    "mode": np.append(rows["mode"], np.full(ne, 2)),
                    "sel": np.append(rows["sel"], np.zeros(ne, np.int64)),
                    "when": np.append(rows["when"], t + 300 * np.arange(ne)),
                    "evaluator": np.append(rows["evaluator"], evaluators),
                }
                flags = np.concatenate([flags, ref[:, None] ^ (rng.random((3, ne)) < 0.1)], axis=1)
        i = rows["i"]
        n = len(i)
        defects = rng.poisson(0.5, n) + flags.sum(axis=0)
        score = 100 - 6 * defects - 20 * flags[0] - 15 * flags[1] - 25 * flags[2]
        score = np.round(np.clip(score + rng.normal(0, 3, n), 0, 100), 1)
        keep = r.sep[h["agent"][i]] >= zone.local_day(rows["when"])
        m = int(keep.sum())
        prefix = self.sites[s].site_id
        frame = {
            "evaluation_id": _ids(f"{prefix}-Q{_date(day):%Y%m%d}-", np.arange(1, m + 1), 4),
            "contact_id": h["cid"][i][keep],
            "channel": h["chan"][i][keep],
            "program_id": _lookup([p.program_id for p in _PROGRAMS])[h["prog"][i][keep]],
            "agent_id": self.agent_ids[h["agent"][i][keep]],
            "evaluator_id": rows["evaluator"][keep],
            "evaluated_at": rows["when"][keep],
            "monitoring_mode": _QA_MODE[rows["mode"][keep]],
            "selection": _QA_SELECTION[rows["sel"][keep]],
            "customer_critical_error": flags[0][keep].astype(np.int8),
            "business_critical_error": flags[1][keep].astype(np.int8),
            "compliance_critical_error": flags[2][keep].astype(np.int8),
            "defects": defects[keep].astype(np.int64),
            "score": score[keep],
            "__when": rows["when"][keep],
        }
        self._emit(w, "qa_evaluations", s, frame)

    def _forecasts(self, s: int, day: int, g: _Grid, truths: dict, w: _Writer) -> None:
        rng = _rng(self.seed, day, s, _FCST)
        zone = self.sites[s].zone
        d = _date(day)
        # Scheduling forecasts are published weekly two weeks ahead; staffing ones monthly,
        # at the hiring lead time of about three months.
        sched_made = (day - d.weekday() - 14) * DAY + 10 * 3600
        month = _epoch_day(d.replace(day=1))
        staff_made = (month - 90) * DAY + 10 * 3600
        made = zone.to_utc(np.array([sched_made, staff_made]))
        frames = []
        for qq in sorted(truths):
            base, aht = truths[qq]
            # every interval of the opening hours (a WFM forecast has no holes), plus any
            # other interval where demand is expected; nothing while a queue is closed
            mask = (base >= 0.005) | self.queues[qq].cal.open_at(g.tk + 1)
            n = int(mask.sum())
            if not n:
                continue
            for h, (sd_day, sd_int, sd_aht) in enumerate(((0.05, 0.10, 0.04), (0.12, 0.18, 0.08))):
                f = base[mask] * rng.lognormal(0, sd_day) * rng.lognormal(0, sd_int, n)
                aht_f = round(aht * rng.lognormal(0, sd_aht), 1)
                frames.append(
                    {
                        "queue_id": np.full(n, self.queues[qq].queue_id.encode()),
                        "interval_start": g.tk[mask],
                        "interval_minutes": np.full(n, 30),
                        "horizon": np.full(n, (b"scheduling", b"staffing")[h]),
                        "forecast_offered": np.round(f, 2),
                        "forecast_aht_seconds": np.full(n, aht_f),
                        "made_at": np.full(n, made[h]),
                        "__when": g.tk[mask],
                    }
                )
        if frames:
            frame = {k: np.concatenate([f[k] for f in frames]) for k in frames[0]}
            days = zone.local_day(frame["__when"])
            w.add("wfm_forecasts", self.sites[s].site_id, zone, frame, days)

    def bots(self, day: int, w: _Writer) -> None:
        """Bot conversations are organisation-level: one file per UTC day."""
        rng = _rng(self.seed, day, 10**4, _BOT)
        r = self.roster
        act = (r.hired <= day) & (day <= r.sep)
        css = np.bincount(r.prog[act], minlength=len(_PROGRAMS))
        t0 = day * DAY
        tk = t0 + HALF * np.arange(48)
        # Traffic follows each site's local day, summed over the sites.
        local = [np.clip((tk + s.zone.offset(tk) - t0) % DAY // HALF, 0, 47) for s in self.sites]
        wts = 0.2 + sum(_PROFILE["chat"][i] for i in local)
        wts = wts / wts.sum()
        parts = []
        for p, prog in enumerate(_PROGRAMS):
            n = rng.poisson(css[p] * 4 * _BOT_WEEKDAY[_weekday(day)])
            start = tk[rng.choice(48, n, p=wts)] + rng.integers(0, HALF, n)
            contained = rng.random(n) < np.clip(prog.containment + rng.normal(0, 0.04), 0.3, 0.6)
            escalated = ~contained & (rng.random(n) < 0.8)
            correct = np.where(escalated, rng.random(n) < 0.85, -1)
            resolved = np.where(contained, rng.random(n) < 0.82, rng.random(n) < 0.05)
            questions = 1 + rng.poisson(1.2, n)
            known = rng.binomial(questions, np.where(contained, 0.92, 0.65))
            dur = _lognormal(rng, 110, 0.6, n) + 20 * questions
            parts.append(
                {
                    "p": np.full(n, p),
                    "started_at": start,
                    "ended_at": start + np.rint(dur).astype(np.int64),
                    "contained": contained.astype(np.int8),
                    "escalated": escalated.astype(np.int8),
                    "escalated_correctly": correct.astype(np.int8),
                    "resolved": resolved.astype(np.int8),
                    "questions": questions.astype(np.int64),
                    "questions_recognised": known.astype(np.int64),
                    "bot_messages": (1 + 2 * questions + rng.integers(0, 2, n)).astype(np.int64),
                }
            )
        c = {k: np.concatenate([x[k] for x in parts]) for k in parts[0]}
        order = np.lexsort((c["p"], c["started_at"]))
        c = {k: v[order] for k, v in c.items()}
        n = len(order)
        c["conversation_id"] = _ids(f"BOT-{_date(day):%Y%m%d}-", np.arange(1, n + 1), 6)
        c["program_id"] = _lookup([p.program_id for p in _PROGRAMS])[c.pop("p")]
        c["__when"] = c["started_at"]
        w.add("bot_conversations", "", self.utc, c, np.full(n, day))

    def outages(self, day: int, w: _Writer) -> None:
        """System outages are organisation-level: one file per UTC day of outage starts."""
        rng = _rng(self.seed, day, 10**4, _OUTAGE)
        t0 = day * DAY
        chat = [q for q in self.queues if q.channel == "chat"]
        rows: list[tuple] = []  # system, program, queue, site, start, end, impact
        if _weekday(day) == 6:  # planned bot maintenance, every program
            rows.append(("bot", -1, -1, -1, t0 + 2 * 3600, t0 + 2 * 3600 + 2400, "full"))
        if _weekday(day) == 2:  # chat platform release, before the site calendars open
            rows.append(("chat", -1, -1, -1, t0 + 6 * 3600, t0 + 6 * 3600 + 900, "full"))
        for system, rate in (("bot", 1.5 / 30), ("chat", 3.0 / 30)):
            for _ in range(rng.poisson(rate)):
                start = t0 + int(rng.integers(0, DAY))
                end = start + max(60, int(_lognormal(rng, 1500, 0.8)))
                impact = "partial" if rng.random() < 0.2 else "full"
                prog, queue, site = int(rng.integers(-1, len(_PROGRAMS))), -1, -1
                if system == "chat":
                    q = chat[int(rng.integers(len(chat)))]
                    scope = rng.choice(4, p=[0.5, 0.25, 0.15, 0.1])  # queue, site, program, all
                    prog = q.program if scope in (0, 2) else -1
                    queue = q.idx if scope == 0 else -1
                    site = q.site if scope in (0, 1) else -1
                rows.append((system, prog, queue, site, start, end, impact))
        if not rows:
            return
        rows.sort(key=lambda r: (r[4], r[0]))
        n = len(rows)
        col = list(zip(*rows, strict=True))
        frame = {
            "outage_id": _ids(f"OUT-{_date(day):%Y%m%d}-", np.arange(1, n + 1), 3),
            "system": np.array([x.encode() for x in col[0]]),
            "program_id": _lookup([p.program_id for p in _PROGRAMS])[np.array(col[1])],
            "queue_id": _lookup([q.queue_id for q in self.queues])[np.array(col[2])],
            "site_id": _lookup([s.site_id for s in self.sites])[np.array(col[3])],
            "started_at": np.array(col[4], np.int64),
            "ended_at": np.array(col[5], np.int64),
            "impact": np.array([x.encode() for x in col[6]]),
        }
        frame["__when"] = frame["started_at"]
        w.add("system_outages", "", self.utc, frame, np.full(n, day))


def generate(
    out: str | Path,
    *,
    days: int = 184,
    agents: int = 60,
    sites: int = 2,
    seed: int = 7,
    start: dt.date = dt.date(2026, 3, 1),
    compress: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write a sample centre into `out` (landing layout); return rows written per entity."""
    if days < 1 or agents < 1 or sites < 1:
        raise ValueError("days, agents and sites must each be at least 1")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if isinstance(start, dt.datetime):
        start = start.date()
    centre = _Centre(int(seed), start, int(days), int(agents), int(sites))
    writer = _Writer(Path(out), compress, centre.end_day)
    centre.write_reference(writer)
    for i in range(days):
        day = centre.start_day + i
        for s in range(sites):
            centre.site_day(s, day, writer)
        centre.bots(day, writer)
        centre.outages(day, writer)
        writer.flush(day)
        if progress is not None:
            progress(i + 1, days)
    return writer.counts
