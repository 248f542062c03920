"""Runs keyed by a night (the Airflow DAG's data interval, `cxmart run --night`): which files load,
which unit-days the raw gate judges, and that nothing is counted twice.

The hand-made centre is test_gate's: sites A (London, queue QA) and B (New York, queue QB), 20
answered calls a day per queue from Mon 2 to Sun 22 March 2026, one file per site and day named
`calls_<site>_<day>.csv`. A queue is expected on a day once two of the four same weekdays before it
carried at least 10 rows; its volume must then lie within [0.2, 5] x their median.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from cxmart import pipeline
from cxmart.config import Settings
from cxmart.connectors.loader import period_date
from cxmart.night import Night

from conftest import TEST_KEY, csv_text, query, write
from test_gate import DAYS, calls, write_centre

MON9, MON16, TUE10, TUE17 = (dt.date(2026, 3, d) for d in (9, 16, 10, 17))


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_a_night_is_the_days_of_its_data_interval():
    # The DAG's daily interval [D 06:00Z, D+1 06:00Z) is the night of D, as is a midnight-aligned one.
    assert Night.from_interval(utc(2026, 3, 4, 6), utc(2026, 3, 5, 6)) == Night.of(dt.date(2026, 3, 4))
    assert Night.from_interval(utc(2026, 3, 4), utc(2026, 3, 5)).key == "2026-03-04"
    week = Night.from_interval(utc(2026, 3, 2, 6), utc(2026, 3, 9, 6))
    assert (week.first_day, week.last_day, len(week.days)) == (dt.date(2026, 3, 2), dt.date(2026, 3, 8), 7)
    assert week.key == "2026-03-02..2026-03-08"
    # Bounds in another zone are read in UTC: 00:30+02:00 on the 5th is 22:30Z on the 4th.
    paris = dt.timezone(dt.timedelta(hours=2))
    assert Night.from_interval(
        dt.datetime(2026, 3, 5, 0, 30, tzinfo=paris), dt.datetime(2026, 3, 6, 0, 30, tzinfo=paris)
    ) == Night.of(dt.date(2026, 3, 4))
    # A zero-length interval is still one day.
    assert Night.from_interval(utc(2026, 3, 5, 6), utc(2026, 3, 5, 6)) == Night.of(dt.date(2026, 3, 5))
    with pytest.raises(ValueError):
        Night.from_interval(dt.datetime(2026, 3, 4), dt.datetime(2026, 3, 5))


def test_a_file_is_dated_by_the_last_date_in_its_name():
    assert period_date("acd_contacts/acd_contacts_LON_2026-03-01.csv") == dt.date(2026, 3, 1)
    assert period_date("x/export_20260301T060000.csv.gz") == dt.date(2026, 3, 1)
    assert period_date("x/calls_2026_02_28_to_2026_03_01.csv") == dt.date(2026, 3, 1)
    assert period_date("x/2026-03-01/agents_2026-02-27.csv") == dt.date(
        2026, 2, 27
    )  # the name, not the folder
    for undated in ("sites/sites.csv", "x/costs_2026-03.csv", "x/id_120260301.csv", "x/2026-13-01.csv"):
        assert period_date(undated) is None, undated


def test_a_night_loads_its_files_and_leaves_later_ones_for_their_night(tmp_path):
    home = tmp_path / "home"
    write_centre(home / "landing")
    settings = Settings.resolve(home=home)

    first = pipeline.load(settings, TEST_KEY, night=Night.of(TUE10))
    # sites, programs, queues (undated) and the acd files of 2-10 March for both sites
    assert sorted({f.entity for f in first.files}) == ["acd_contacts", "programs", "queues", "sites"]
    assert sum(f.entity == "acd_contacts" and f.status == "loaded" for f in first.files) == 9 * 2
    assert len(first.later) == (21 - 9) * 2 and all("2026-03-1" in p or "2026-03-2" in p for p in first.later)
    assert any("24 file(s) dated after 2026-03-10 left for their own night" in n for n in first.notes)
    assert query(settings.warehouse, "select count(*) from raw.acd_contacts")[0][0] == 9 * 2 * 20

    second = pipeline.load(settings, TEST_KEY, night=Night.of(dt.date(2026, 3, 11)))
    assert [f.path.rsplit("/", 1)[1] for f in second.files if f.status == "loaded"] == [
        "calls_A_2026-03-11.csv",
        "calls_B_2026-03-11.csv",
    ]
    # Running the first night again: nothing new, nothing twice; each file keeps the night that loaded it.
    again = pipeline.load(settings, TEST_KEY, night=Night.of(TUE10))
    assert {f.status for f in again.files} == {"unchanged"} and sum(f.rows for f in again.files) == 0
    assert query(settings.warehouse, "select count(*) from raw.acd_contacts")[0][0] == 10 * 2 * 20
    nights = dict(query(settings.warehouse, "select night, count(*) from raw._load_manifest group by 1"))
    assert nights == {"2026-03-10": 3 + 18, "2026-03-11": 2}

    # One family at a time, as the DAG's mapped load tasks do: only that family's entities.
    other = tmp_path / "other"
    write_centre(other / "landing")
    s2 = Settings.resolve(home=other)
    ref = pipeline.load(s2, TEST_KEY, night=Night.of(TUE10), entities=pipeline.family_entities("reference"))
    assert sorted({f.entity for f in ref.files}) == ["programs", "queues", "sites"] and not ref.later
    assert pipeline.landing_families(s2) == ["acd"]


def _gate(settings: Settings, night: Night):
    pipeline.load(settings, TEST_KEY, night=night)
    return pipeline.raw_gate(settings, f"night-{night.key}", night)


def _failures(report, blocking: bool | None = None) -> list[tuple]:
    return sorted(
        (f.source, f.expectation, f.site_id, f.queue_id, f.day, round(f.observed, 4))
        for f in report.failures
        if blocking is None or f.blocking == blocking
    )


def test_the_gate_decides_on_the_nights_days_and_records_every_day(tmp_path):
    """Site A's file for Mon 16 March is missing. Its night fails; the next night passes but still
    records the missing day (so its metrics stay incomplete_source); when the late file arrives,
    the night that loads it judges Monday again and the failure is gone."""
    home = tmp_path / "home"
    write_centre(home / "landing", skip={("A", MON16)})
    settings = Settings.resolve(home=home)

    monday = _gate(settings, Night.of(MON16))
    missing = [("acd_contacts", "missing_day", "A", "QA", MON16, 1.0)]
    assert _failures(monday) == missing and _failures(monday, blocking=True) == missing
    assert not monday.success
    with pytest.raises(pipeline.StageFailed, match=r"raw gate failed: missing_day in acd_contacts, A/QA"):
        pipeline.require_complete(monday)

    tuesday = _gate(settings, Night.of(TUE17))
    assert tuesday.success and _failures(tuesday) == missing and _failures(tuesday, blocking=True) == []
    recorded = query(
        settings.warehouse,
        "select expectation, site_id, day, blocking, night from audit.validation_results "
        "where not success and run_id = 'night-2026-03-17'",
    )
    assert recorded == [("missing_day", "A", MON16, False, "2026-03-17")]
    # dbt reads the latest run: the last run's sequence number is the highest.
    seqs = query(settings.warehouse, "select run_id, max(run_seq) from audit.validation_results group by 1")
    assert dict(seqs)["night-2026-03-17"] > dict(seqs)["night-2026-03-16"]

    # The late file for Monday lands with Wednesday's night: Monday is judged again, and passes.
    write(
        home / "landing", "acd_contacts", f"calls_A_{MON16}.csv", csv_text("acd_contacts", calls("A", MON16))
    )
    wednesday = _gate(settings, Night.of(dt.date(2026, 3, 18)))
    assert wednesday.success and _failures(wednesday) == []


def many_calls(site: str, day: dt.date, n: int) -> list[dict]:
    """n answered calls a minute apart from 12:00 UTC (test_gate's `calls` stops at 59)."""
    template = calls(site, day, 1)[0]
    rows = []
    for i in range(n):
        t0 = dt.datetime.combine(day, dt.time(12), dt.UTC) + dt.timedelta(minutes=i)
        rows.append(
            {
                **template,
                "contact_id": f"{site}-{day}-m{i}",
                "offered_at": t0.isoformat(),
                "answered_at": (t0 + dt.timedelta(seconds=10)).isoformat(),
                "ended_at": (t0 + dt.timedelta(seconds=130)).isoformat(),
            }
        )
    return rows


def test_a_late_file_is_judged_with_the_days_whose_history_it_changes(tmp_path):
    """Site A's file for Mon 9 March comes late, on the night of Fri 20 March, with 400 calls. Mon 16
    (not the night, its own rows unchanged) is judged again, because its weekday history now holds
    9 March: 20 calls against the median of 2 March (20) and 9 March (400), 210, is a ratio of
    20 / 210 = 0.0952, below the band's 0.2. 9 March itself has only one same weekday before it, so
    it is not expected and carries no volume verdict."""
    home = tmp_path / "home"
    write_centre(home / "landing", skip={("A", MON9)})
    settings = Settings.resolve(home=home)
    thursday = _gate(settings, Night.of(dt.date(2026, 3, 19)))
    assert thursday.success and _failures(thursday) == []

    write(
        home / "landing",
        "acd_contacts",
        f"calls_A_{MON9}.csv",
        csv_text("acd_contacts", many_calls("A", MON9, 400)),
    )
    friday = _gate(settings, Night.of(dt.date(2026, 3, 20)))
    outside = [("acd_contacts", "volume_outside_band", "A", "QA", MON16, 0.0952)]
    assert _failures(friday) == outside and _failures(friday, blocking=True) == outside
    assert not friday.success


def test_a_run_without_a_night_judges_the_whole_history(tmp_path):
    home = tmp_path / "home"
    write_centre(home / "landing", skip={("A", MON16)})
    settings = Settings.resolve(home=home)
    pipeline.load(settings, TEST_KEY)
    report = pipeline.raw_gate(settings, "bulk")
    assert _failures(report, blocking=True) == [("acd_contacts", "missing_day", "A", "QA", MON16, 1.0)]
    assert query(settings.warehouse, "select distinct night from raw._load_manifest") == [(None,)]
    assert len(DAYS) == 21


def test_a_warehouse_from_before_nights_gains_the_new_columns(tmp_path):
    """A warehouse made before loads and gate runs were keyed by night: the manifest gains `night`,
    the results gain `run_seq`, `night` and `blocking`, and the old rows keep theirs empty."""
    home = tmp_path / "home"
    write_centre(home / "landing")
    settings = Settings.resolve(home=home)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("create schema raw; create schema audit")
    con.execute(
        "create table raw._load_manifest (file_id varchar primary key, entity varchar not null, "
        "path varchar not null, size_bytes bigint, content_hash varchar not null, status varchar not null, "
        "rows_loaded bigint, rows_quarantined bigint, message varchar, replaced_by varchar, "
        "loaded_at timestamptz not null)"
    )
    con.execute(
        "create table audit.validation_results (run_id varchar not null, validated_at timestamptz not null, "
        "gate varchar not null, suite varchar not null, expectation varchar not null, source varchar, "
        "site_id varchar, queue_id varchar, unit varchar, day date, success boolean not null, "
        "observed_value double, expected varchar)"
    )
    con.execute(
        "insert into audit.validation_results values ('20260101T000000Z-old', now(), 'raw', 'raw.sites', "
        "'source_absent', 'sites', null, null, null, null, true, null, '')"
    )
    con.close()
    report = _gate(settings, Night.of(TUE10))
    assert report.success
    runs = query(
        settings.warehouse,
        "select run_id, bool_and(run_seq is null), any_value(night) from audit.validation_results "
        "group by 1 order by 1",
    )
    assert runs == [("20260101T000000Z-old", True, None), ("night-2026-03-10", False, "2026-03-10")]
    manifest = query(settings.warehouse, "select count(*), count(night) from raw._load_manifest")
    assert manifest == [(3 + 18, 3 + 18)]
