"""The raw gate judges the days the raw changes since the last publication reach (issue 12), and
gives each of them the verdict a run over the whole history gives.

test_gate's hand-made centre: sites A (London, queue QA) and B (New York, queue QB), 20 answered
calls a day per queue from Mon 2 to Sun 22 March 2026 at 12:00-12:19 UTC (the same local day in
both zones), one file per site and day. A queue is expected on a day once two of the four same
weekdays before it carried at least 10 rows; its volume must then lie within [0.2, 5] x their median.
Site A's file of Mon 16 is missing until it comes late; site B's file of Mon 9 comes late too,
with 400 calls, which puts B's Mon 16 (20 calls) out of its band: 20 / median(20, 400) = 0.0952.

Each night is run as the DAG runs it: load, raw gate, and (standing in for dbt and publication,
which forget the changes a published mart was built from) `mark_changes_built`. After every scoped
run, a run over the whole history (`full=True`) on the same warehouse must give the same failures.
"""

from __future__ import annotations

import datetime as dt
import shutil

from cxmart import pipeline
from cxmart.config import Settings
from cxmart.connectors.loader import mark_changes_built
from cxmart.night import Night

from conftest import TEST_KEY, csv_text, query, write
from test_gate import calls, write_centre
from test_nights import many_calls

MON9, MON16 = dt.date(2026, 3, 9), dt.date(2026, 3, 16)


def _verdicts(report) -> list[tuple]:
    return sorted(
        (f.source, f.expectation, f.site_id, f.queue_id, f.day, round(f.observed, 4), f.blocking)
        for f in report.failures
    )


def _night(settings: Settings, day: dt.date, publish: bool = True):
    """One night: load, the raw gate as the pipeline runs it, and the same night judged over the
    whole history in a copy of the warehouse (so the next night's scope reads this night's own
    verdicts); returns (scoped report, its judged_from, full report)."""
    night = Night.of(day)
    pipeline.load(settings, TEST_KEY, night=night)
    scoped = pipeline.raw_gate(settings, f"night-{day}", night)
    judged_from = query(
        settings.warehouse,
        "select judged_from from audit.raw_gate_runs where run_id = ?",
        [f"night-{day}"],
    )[0][0]
    copy = settings.home / "whole" / f"{day}.duckdb"
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(settings.warehouse, copy)
    whole_settings = Settings.resolve(home=settings.home / "whole", landing=settings.landing, warehouse=copy)
    whole = pipeline.raw_gate(whole_settings, f"whole-{day}", night, full=True)
    if publish:
        con = settings.connect()
        try:
            mark_changes_built(con)
        finally:
            con.close()
    return scoped, judged_from, whole


def test_a_scoped_night_gives_the_verdicts_of_a_run_over_the_whole_history(tmp_path):
    home = tmp_path / "home"
    write_centre(home / "landing", skip={("A", MON16), ("B", MON9)})
    settings = Settings.resolve(home=home)

    # The first run judges the whole history (no run before it): 2-15 March, nothing expected is
    # missing (B's Mon 9 has one same weekday before it, so it is not expected yet).
    first, judged_from, _ = _night(settings, dt.date(2026, 3, 15))
    assert (first.scope, first.scope_reason, judged_from) == ("full", "no run before it", None)
    assert _verdicts(first) == []

    # Mon 16: A's file is missing. Only 15-17 March are judged (the calls of the 16th are on the
    # 16th in UTC: from the day before it), and the missing day fails this night.
    monday, judged_from, whole = _night(settings, MON16)
    missing = ("acd_contacts", "missing_day", "A", "QA", MON16, 1.0)
    assert monday.scope == "changes" and judged_from == dt.date(2026, 3, 15)
    assert _verdicts(monday) == _verdicts(whole) == [(*missing, True)]

    # Tue 17: the failure of Monday is judged again (it failed in the run before) and recorded, not
    # blocking: the mart keeps Monday incomplete_source.
    tuesday, judged_from, whole = _night(settings, dt.date(2026, 3, 17))
    assert judged_from == MON16
    assert _verdicts(tuesday) == _verdicts(whole) == [(*missing, False)]

    # Wed and Thu load but fail later (not published): their changes stay pending.
    pipeline.load(settings, TEST_KEY, night=Night.of(dt.date(2026, 3, 18)))
    pipeline.load(settings, TEST_KEY, night=Night.of(dt.date(2026, 3, 19)))
    # Fri 20: both late files. A's Monday passes now; B's Mon 9 (400 calls) changes the weekday
    # history of B's Mon 16, which this night judges although no row of that day changed.
    late_monday = csv_text("acd_contacts", calls("A", MON16))
    write(home / "landing", "acd_contacts", f"calls_A_{MON16}.csv", late_monday)
    write(
        home / "landing",
        "acd_contacts",
        f"calls_B_{MON9}.csv",
        csv_text("acd_contacts", many_calls("B", MON9, 400)),
    )
    friday, judged_from, whole = _night(settings, dt.date(2026, 3, 20))
    outside = ("acd_contacts", "volume_outside_band", "B", "QB", MON16, 0.0952, True)
    assert judged_from == dt.date(2026, 3, 8)  # the day before B's late Monday
    assert _verdicts(friday) == _verdicts(whole) == [outside]

    # Sat 21, unpublished: a failed night keeps its changes pending, so the next night judges them
    # again with its own (Sunday's run still judges from 20 March, not from 21 March).
    _night(settings, dt.date(2026, 3, 21), publish=False)
    sunday, judged_from, whole = _night(settings, dt.date(2026, 3, 22))
    assert judged_from == dt.date(2026, 3, 20)
    assert _verdicts(sunday) == _verdicts(whole) == [(*outside[:-1], False)]


def test_a_change_of_reference_data_or_of_the_gate_settings_judges_the_whole_history(tmp_path, monkeypatch):
    home = tmp_path / "home"
    write_centre(home / "landing")
    settings = Settings.resolve(home=home)
    _night(settings, dt.date(2026, 3, 15))
    steady, _, _ = _night(settings, MON16)
    assert steady.scope == "changes"

    # a queue moves to another site's calendar: every verdict may change
    write(home / "landing", "queues", "queues.csv", csv_text("queues", [
        {"queue_id": "QA", "site_id": "A", "program_id": "P1", "channel": "voice", "calendar_id": "CAL"},
        {"queue_id": "QB", "site_id": "B", "program_id": "P1", "channel": "voice"},
    ]))  # fmt: skip
    moved, _, _ = _night(settings, dt.date(2026, 3, 17))
    assert (moved.scope, moved.scope_reason) == ("full", "reference data changed")

    monkeypatch.setenv("CXMART_VOLUME_BAND_LOW", "0.5")
    banded, _, _ = _night(settings, dt.date(2026, 3, 18))
    assert (banded.scope, banded.scope_reason) == ("full", "gate settings, checks or present sources changed")
    again, _, _ = _night(settings, dt.date(2026, 3, 19))
    assert again.scope == "changes"
