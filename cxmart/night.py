"""The night a pipeline run processes: the local days it loads and judges.

The Airflow DAG keys every task by its data interval; `cxmart run --night DAY` does the same from
the command line. A night covers the calendar days from the interval start's UTC date to the day
before the interval end's UTC date (at least one day), so the daily interval
[2026-03-04 06:00Z, 2026-03-05 06:00Z) is the night of 2026-03-04 and a weekly interval is seven
days. Each unit reads a day in its own local time (a site's day in its zone), as everywhere else.

Keyed by a night, a run
- loads the files not yet loaded whose name dates them on or before the night's last day, and any
  undated file (reference data, snapshots); files dated later are left for their own night;
- records the night with every file version it loads (raw._load_manifest.night);
- fails its raw gate only on the unit-days the night judges: its own days, the days its files
  changed (late or corrected files) and the later days whose weekday history holds such a day.
  Every other unit-day is still validated and recorded, and marks its metrics incomplete_source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Night:
    first_day: dt.date
    last_day: dt.date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError(f"a night cannot end ({self.last_day}) before it starts ({self.first_day})")

    @classmethod
    def of(cls, day: dt.date) -> Night:
        return cls(day, day)

    @classmethod
    def from_interval(cls, start: dt.datetime, end: dt.datetime) -> Night:
        """The night of an Airflow data interval (timezone-aware datetimes)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("a data interval's bounds must carry a time zone")
        first = start.astimezone(dt.UTC).date()
        last = (end.astimezone(dt.UTC) - dt.timedelta(days=1)).date()
        return cls(first, max(first, last))

    @property
    def key(self) -> str:
        """How the night is recorded: `2026-03-04`, or `2026-03-01..2026-03-07` for several days."""
        if self.first_day == self.last_day:
            return self.first_day.isoformat()
        return f"{self.first_day.isoformat()}..{self.last_day.isoformat()}"

    @property
    def days(self) -> list[dt.date]:
        n = (self.last_day - self.first_day).days + 1
        return [self.first_day + dt.timedelta(days=i) for i in range(n)]

    def __str__(self) -> str:
        return self.key
