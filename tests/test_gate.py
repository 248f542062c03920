"""The raw completeness gate on seeded bad inputs: each names the exact failure (source, check, site,
queue, local day, observed value) and nothing is published; with --allow-incomplete the mart marks
the metric-months built from the failing source and day `incomplete_source`.

The hand-made centre: site A (Europe/London) with voice queue QA, site B (America/New_York) with
QB; 20 answered calls a day per queue from Mon 2 to Sun 22 March 2026 (three weeks), one export
file per site and day. A queue is expected on a day once two of the four same weekdays before
it carried at least 10 rows (GateSettings.min_daily_rows): from the third week (16-22 March) on.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from cxmart import pipeline
from cxmart.config import Settings

from conftest import TEST_KEY, csv_text, write

CXMART = str(Path(sys.executable).parent / "cxmart")
DAYS = [dt.date(2026, 3, 2) + dt.timedelta(days=i) for i in range(21)]
SITES = {"A": ("QA", "Europe/London"), "B": ("QB", "America/New_York")}
CALLS_PER_DAY = 20


def calls(site: str, day: dt.date, n: int = CALLS_PER_DAY, **override) -> list[dict]:
    """n answered calls at 12:00 UTC + i minutes (the same local day in London and New York)."""
    queue = SITES[site][0]
    rows = []
    for i in range(n):
        t0 = dt.datetime.combine(day, dt.time(12, i), dt.UTC)
        rows.append(
            {
                "contact_id": f"{site}-{day}-{i}",
                "segment_id": "1",
                "site_id": site,
                "program_id": "P1",
                "queue_id": queue,
                "channel": "voice",
                "direction": "inbound",
                "offered_at": t0.isoformat(),
                "answered_at": (t0 + dt.timedelta(seconds=10)).isoformat(),
                "ended_at": (t0 + dt.timedelta(seconds=130)).isoformat(),
                "outcome": "answered",
                "abandoned": "false",
                "wait_seconds": 10,
                "talk_seconds": 100,
                "acw_seconds": 20,
            }  # fmt: skip
        )
    if override:
        rows[0].update(override)
    return rows


def write_centre(landing: Path, skip: set[tuple[str, dt.date]] = frozenset(), volume=None) -> None:
    """The clean centre, without the (site, day) files in `skip`; `volume` maps (site, day) -> calls."""
    write(landing, "sites", "sites.csv", csv_text("sites", [
        {"site_id": s, "time_zone": tz} for s, (_, tz) in SITES.items()
    ]))  # fmt: skip
    write(
        landing, "programs", "programs.csv", csv_text("programs", [{"program_id": "P1", "client_id": "C1"}])
    )
    write(landing, "queues", "queues.csv", csv_text("queues", [
        {"queue_id": q, "site_id": s, "program_id": "P1", "channel": "voice"} for s, (q, _) in SITES.items()
    ]))  # fmt: skip
    for day in DAYS:
        for site in SITES:
            if (site, day) in skip:
                continue
            n = (volume or {}).get((site, day), CALLS_PER_DAY)
            write(
                landing,
                "acd_contacts",
                f"calls_{site}_{day}.csv",
                csv_text("acd_contacts", calls(site, day, n)),
            )


def failures(report) -> list[tuple]:
    return sorted(
        (f.source, f.expectation, f.site_id, f.queue_id, f.day, f.observed) for f in report.failures
    )


def run_gate(home: Path):
    """load -> raw gate through the real pipeline; returns (StageFailed or None, gate report)."""
    settings = Settings.resolve(home=home)
    gates = []
    try:
        pipeline.run(settings, TEST_KEY, on_gate=gates.append)
    except pipeline.StageFailed as exc:
        assert exc.stage == "raw gate", exc  # stopped before dbt: nothing was built or published
        assert not settings.mart.exists() and not (settings.home / "mart.duckdb.history").exists()
        return exc, gates[0]
    return None, gates[0]


D16, D18, D19 = dt.date(2026, 3, 16), dt.date(2026, 3, 18), dt.date(2026, 3, 19)
D10 = dt.date(2026, 3, 10)


def test_the_clean_centre_passes_and_results_are_recorded(tmp_path):
    home = tmp_path / "home"
    write_centre(home / "landing")
    settings = Settings.resolve(home=home)
    pipeline.load(settings, TEST_KEY)
    report = pipeline.raw_gate(settings, "run-1")
    assert report.success, failures(report)
    # Sources without files ever are absent, not incomplete.
    assert "survey_responses" in report.absent and "acd_contacts" not in report.absent
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        assert con.execute(
            "select count(*) from audit.validation_results where run_id = 'run-1' and not success"
        ).fetchone() == (0,)
        assert con.execute(
            "select success, expected from audit.validation_results where run_id = 'run-1' "
            "and suite = 'raw.survey_responses'"
        ).fetchall() == [(True, "no files ever: absent")]
        # the acd suite: every check ran, over 2 queues x 21 days of unit-days
        checked = dict(
            con.execute(
                "select expectation, observed_value from audit.validation_results "
                "where run_id = 'run-1' and suite = 'raw.acd_contacts'"
            ).fetchall()
        )
    finally:
        con.close()
    assert checked["missing_day"] == 42 and "volume_outside_band" in checked
    assert "contacts_without_one_terminal_outcome" in checked and "duplicate_exports" in checked
    assert (home / "reports" / "data_docs" / "index.html").is_file()


def test_a_missing_day_for_one_queue(tmp_path):
    write_centre(tmp_path / "landing", skip={("A", D18)})
    failed, report = run_gate(tmp_path)
    assert failures(report) == [("acd_contacts", "missing_day", "A", "QA", D18, 1.0)]
    assert "missing_day in acd_contacts, A/QA, 2026-03-18" in str(failed)


def test_a_site_that_stopped_reporting(tmp_path):
    # B sends nothing from Thursday 19 March; A goes on to Sunday 22nd, the end of the load window.
    stopped = {("B", d) for d in DAYS if d >= D19}
    write_centre(tmp_path / "landing", skip=stopped)
    _, report = run_gate(tmp_path)
    assert failures(report) == [
        ("acd_contacts", "missing_day", "B", "QB", D19 + dt.timedelta(days=i), 1.0) for i in range(4)
    ]


def test_a_day_at_five_percent_of_normal_volume(tmp_path):
    # 1 call where the two Wednesdays before had 20 each: 1 / 20 = 0.05, under the band's 0.2.
    write_centre(tmp_path / "landing", volume={("A", D18): 1})
    _, report = run_gate(tmp_path)
    assert failures(report) == [("acd_contacts", "volume_outside_band", "A", "QA", D18, 0.05)]


def test_a_duplicated_export(tmp_path):
    landing = tmp_path / "landing"
    write_centre(landing)
    shutil.copy(
        landing / "acd_contacts" / f"calls_A_{D16}.csv",
        landing / "acd_contacts" / f"calls_A_{D16}_resent.csv",
    )
    _, report = run_gate(tmp_path)
    # the 20 rows of the 16th at A were exported twice (loaded once)
    assert failures(report) == [("acd_contacts", "duplicate_exports", "A", "QA", D16, 20.0)]


def test_a_contact_with_two_terminal_outcomes(tmp_path):
    landing = tmp_path / "landing"
    write_centre(landing)
    rows = calls("A", D10)
    second = {**rows[0], "segment_id": "2", "outcome": "abandoned", "answered_at": "", "abandoned": "true"}
    write(landing, "acd_contacts", f"calls_A_{D10}.csv", csv_text("acd_contacts", [*rows, second]))
    _, report = run_gate(tmp_path)
    assert failures(report) == [
        ("acd_contacts", "contacts_without_one_terminal_outcome", "A", "QA", D10, 1.0)
    ]


def survey(rid: str, contact: str, score: float = 4) -> dict:
    return {
        "response_id": rid, "contact_id": contact, "channel": "voice", "site_id": "A",
        "program_id": "P1", "responded_at": f"{D10}T15:00:00+00:00", "overall_score": score,
        "overall_scale_min": 1, "overall_scale_max": 5, "selection": "random",
    }  # fmt: skip


def test_a_survey_for_an_unknown_contact(tmp_path):
    landing = tmp_path / "landing"
    write_centre(landing)
    write(landing, "survey_responses", "surveys.csv", csv_text("survey_responses", [
        survey("r1", f"A-{D10}-0"), survey("r2", "never-called"),
    ]))  # fmt: skip
    _, report = run_gate(tmp_path)
    assert failures(report) == [("survey_responses", "unknown_contacts", "A", None, D10, 1.0)]


def test_negative_wait_times(tmp_path):
    landing = tmp_path / "landing"
    write_centre(landing)
    write(
        landing,
        "acd_contacts",
        f"calls_A_{D10}.csv",
        csv_text("acd_contacts", calls("A", D10, wait_seconds=-5)),
    )
    # First line: the loader quarantines the call (its first data row, line 2) with the reason
    # (schema.ROW_RULES); the other 19 calls of the day load, within the day's volume band.
    settings = Settings.resolve(home=tmp_path)
    assert pipeline.load(settings, TEST_KEY).quarantined == 1
    con = duckdb.connect(str(settings.warehouse))
    try:
        assert con.execute("select path, line, reason from raw._quarantine").fetchall() == [
            (str(landing / "acd_contacts" / f"calls_A_{D10}.csv"), 2, "wait_seconds: negative: -5.0")
        ]
        assert pipeline.raw_gate(settings).failures == []
        # Second line: a negative wait that reached raw some other way (a warehouse loaded before
        # the row rule) still fails the raw gate's range check.
        con.execute(f"update raw.acd_contacts set wait_seconds = -5 where contact_id = 'A-{D10}-1'")
    finally:
        con.close()
    report = pipeline.raw_gate(settings)
    assert failures(report) == [("acd_contacts", "negative_durations", "A", "QA", D10, 1.0)]


def test_a_csat_of_7_on_a_1_to_5_scale(tmp_path):
    landing = tmp_path / "landing"
    write_centre(landing)
    write(landing, "survey_responses", "surveys.csv", csv_text("survey_responses", [
        survey("r1", f"A-{D10}-0", 5), survey("r2", f"A-{D10}-1", 7),
    ]))  # fmt: skip
    _, report = run_gate(tmp_path)
    assert failures(report) == [("survey_responses", "score_outside_scale", "A", None, D10, 1.0)]


def test_a_forecast_missing_an_interval_of_the_opening_hours(tmp_path):
    landing = tmp_path / "landing"
    write_centre(landing)
    # QA opens 09:00-12:00 London time on Tuesdays: six 30-minute intervals (10 March is before
    # the clocks change, so London is UTC). The 10 March snapshot lacks 10:00: one missing interval;
    # its 08:30 interval (before opening) neither counts nor excuses it.
    write(landing, "calendars", "calendars.csv", csv_text("calendars", [
        {"calendar_id": "CAL-A", "weekday": 2, "opens_at": "09:00:00", "closes_at": "12:00:00"},
    ]))  # fmt: skip
    write(landing, "queues", "queues.csv", csv_text("queues", [
        {"queue_id": "QA", "site_id": "A", "program_id": "P1", "channel": "voice", "calendar_id": "CAL-A"},
        {"queue_id": "QB", "site_id": "B", "program_id": "P1", "channel": "voice"},
    ]))  # fmt: skip
    starts = ["08:30", "09:00", "09:30", "10:30", "11:00", "11:30"]
    write(landing, "wfm_forecasts", "forecast.csv", csv_text("wfm_forecasts", [
        {"queue_id": "QA", "interval_start": f"{D10}T{t}:00+00:00", "interval_minutes": 30,
         "horizon": "scheduling", "forecast_offered": 3.5, "forecast_aht_seconds": 300,
         "made_at": "2026-02-23T10:00:00+00:00"}
        for t in starts
    ]))  # fmt: skip
    _, report = run_gate(tmp_path)
    assert failures(report) == [("wfm_forecasts", "missing_intervals", "A", "QA", D10, 1.0)]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CXMART_")}
    return subprocess.run(
        [CXMART, *args],
        capture_output=True,
        text=True,
        env={**base, "CXMART_PSEUDONYM_KEY": TEST_KEY, "COLUMNS": "120", **(env or {})},
        timeout=900,
    )


def test_the_cli_names_the_failure_then_allow_incomplete_marks_the_months(tmp_path):
    home = tmp_path / "home"
    write_centre(home / "landing", skip={("A", D18)})
    res = _cli("run", "--home", str(home))
    assert res.returncode == 1
    row = next(line for line in res.stdout.splitlines() if "missing_day" in line)
    assert [cell.strip() for cell in row.split("│")[1:-1]] == [
        "acd_contacts", "missing_day", "A", "QA", "2026-03-18", "1"
    ]  # fmt: skip
    assert "raw gate failed: missing_day in acd_contacts, A/QA, 2026-03-18" in res.stderr
    assert "dbt build" not in res.stdout and not (home / "mart.duckdb").exists()
    assert _cli("validate", "--home", str(home)).returncode == 1

    res = _cli("run", "--home", str(home), "--allow-incomplete")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "published" in res.stdout
    con = duckdb.connect()
    con.execute(f"attach '{home / 'mart.duckdb'}' as mart (read_only)")

    def reason(unit_level, unit_id, grain, start):
        return con.execute(
            "select value, is_countable, not_countable_reason from mart.metric_values "
            "where metric_id = 'voice_offered' and unit_level = ? and unit_id = ? "
            "and period_grain = ? and period_start = ?",
            [unit_level, unit_id, grain, dt.date.fromisoformat(start)],
        ).fetchone()

    # QA in March: 20 calls x 20 days (the 18th missing) = 400, not countable: built from a
    # source that failed the gate on the 18th. So are site A's, program P1's, channel voice's
    # and the organisation's months. QB (site B) is complete: 20 x 21 = 420, countable.
    assert reason("queue", "QA", "month", "2026-03-01") == (400, False, "incomplete_source")
    for level, unit in (("site", "A"), ("program", "P1"), ("client", "C1"), ("channel", "voice")):
        assert reason(level, unit, "month", "2026-03-01")[1:] == (False, "incomplete_source"), level
    assert reason("organisation", "organisation", "month", "2026-03-01")[2] == "incomplete_source"
    assert reason("queue", "QB", "month", "2026-03-01") == (420, True, None)
    assert reason("site", "B", "month", "2026-03-01") == (420, True, None)
    # Days other than the failing one keep their own status.
    assert reason("queue", "QA", "day", "2026-03-17") == (20, True, None)
    con.close()


def test_a_failure_without_a_queue_marks_the_program_client_and_channel_of_its_rows(tmp_path):
    # The clean centre (programs: P1 of client C1, the only program with queues) plus programs P2
    # (client C2) and P3 (client C3), which have no queue at all. On Tue 10 March three voice QA
    # reviews at site A: one of P2 about an unknown contact (fails unknown_contacts: site A, no
    # queue), one of P3 and one of P1 about known calls (the clean centre's A-2026-03-10-0/-1).
    home = tmp_path / "home"
    landing = home / "landing"
    write_centre(landing)
    write(landing, "programs", "programs.csv", csv_text("programs", [
        {"program_id": "P1", "client_id": "C1"}, {"program_id": "P2", "client_id": "C2"},
        {"program_id": "P3", "client_id": "C3"},
    ]))  # fmt: skip
    reviews = [
        ("E1", "NOT-A-CALL", "P2"),
        ("E2", "A-2026-03-10-0", "P3"),
        ("E3", "A-2026-03-10-1", "P1"),
    ]
    write(landing, "qa_evaluations", "qa_2026-03-10.csv", csv_text("qa_evaluations", [
        {"evaluation_id": ev, "contact_id": contact, "channel": "voice", "site_id": "A",
         "program_id": program, "evaluated_at": "2026-03-10T15:00:00+00:00", "monitoring_mode": "remote",
         "selection": "random", "customer_critical_error": "false", "business_critical_error": "false",
         "compliance_critical_error": "false", "defects": 0, "score": 90}
        for ev, contact, program in reviews
    ]))  # fmt: skip
    settings = Settings.resolve(home=home)
    assert not pipeline.load(settings, TEST_KEY).rejected
    report = pipeline.raw_gate(settings)
    assert failures(report) == [("qa_evaluations", "unknown_contacts", "A", None, D10, 1.0)]
    recorded = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        assert recorded.execute(
            "select failing_programs, failing_channels from audit.validation_results "
            "where expectation = 'unknown_contacts' and not success"
        ).fetchall() == [('["P2"]', '["voice"]')]
    finally:
        recorded.close()
    assert pipeline.build(settings).success

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:

        def reason(level, unit, grain="month", start="2026-03-01"):
            return con.execute(
                "select not_countable_reason from mart.metric_values where metric_id = 'cea_customer' "
                "and unit_level = ? and unit_id = ? and period_grain = ? and period_start = ?",
                [level, unit, grain, dt.date.fromisoformat(start)],
            ).fetchone()

        # The failing review's own program and client (they have no queue) and its channel ...
        for level, unit in (("program", "P2"), ("client", "C2"), ("channel", "voice")):
            assert reason(level, unit) == ("incomplete_source",), (level, unit)
            assert reason(level, unit, "day", "2026-03-10") == ("incomplete_source",), (level, unit)
        # ... and, as before, its site and the organisation, and site A's queue's program P1.
        for level, unit in (("site", "A"), ("organisation", "organisation"), ("program", "P1")):
            assert reason(level, unit) == ("incomplete_source",), (level, unit)
        # P3's only review is of a known call: its program and client are not marked.
        for level, unit in (("program", "P3"), ("client", "C3")):
            assert reason(level, unit) is not None and reason(level, unit) != ("incomplete_source",)
    finally:
        con.close()
