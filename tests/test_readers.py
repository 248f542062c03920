"""Vendor readers: Workday worker history -> staff_roster and Qualtrics responses -> survey_responses.

The real Fivetran-landed samples in ../shared/realdata load through the real loader into a real
DuckDB file; the mapped rows are checked by hand against the sample CSVs (source lines quoted).
Hand-made files cover what the samples lack: scores, embedded data, the native Qualtrics export
with its three header rows, back-fill and temporary contracts, and the bad-input rules.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from cxmart.connectors.loader import pseudonymise

from conftest import REALDATA, TEST_KEY, load, query, write

WORKDAY = REALDATA / "fivetran_workday_seeds"
QUALTRICS = REALDATA / "fivetran_qualtrics_seeds"
UTC = dt.UTC
D = dt.date

WORKDAY_SOURCES = """
workday:
  organizations:
    1c82dedad9504fe19b314a6a49e5dd83: {program_id: SUPPORT, site_id: NYC}
    aabbccdd11223344aabbccdd11223399: {program_id: BILLING, site_id: NYC}
  roles:
    15baf9003ea943a9a62332bb48f5386c: css
"""

QUALTRICS_SOURCES = """
qualtrics:
  time_zone: UTC
  surveys:
    SV_6Jcja72TpOiHjdX:
      overall: {question: QID2, scale: [1, 5]}
      columns: {channel: {value: email}, selection: {value: all}}
"""


def _copy_sample(src: Path, landing: Path, folder: str) -> Path:
    dst = landing / folder
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("SOURCE.txt"))
    for p in [dst, *dst.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


@pytest.fixture
def workday(home):
    if not WORKDAY.exists():
        pytest.skip("real Workday sample not available")
    landing = home / "landing"
    _copy_sample(WORKDAY, landing, "workday")
    (landing / "sources.yml").write_text(WORKDAY_SOURCES)
    return landing, home / "warehouse.duckdb"


@pytest.fixture
def qualtrics(home):
    if not QUALTRICS.exists():
        pytest.skip("real Qualtrics sample not available")
    landing = home / "landing"
    _copy_sample(QUALTRICS, landing, "qualtrics")
    (landing / "sources.yml").write_text(QUALTRICS_SOURCES)
    return landing, home / "warehouse.duckdb"


# -- Workday ---------------------------------------------------------------------------------


def test_workday_sample_maps_the_transfer_worker_by_hand(workday):
    landing, wh = workday
    (f,) = load(landing, wh).files
    assert (f.entity, f.status, f.rows, f.quarantined) == ("staff_roster", "loaded", 2, 1)

    rows = query(
        wh,
        "select employee_id, site_id, program_id, role, employment_type, hired_at, "
        "contract_end_at, separated_at, separation_type, backfilled, _row, "
        "attributes->>'workday_business_title' from raw.staff_roster order by hired_at",
    )
    # worker_position_history_data.csv, lines 7 and 8 (worker aabbccdd...3344):
    #   aabbccdd11223344aabbccdd11223301,aabbccdd11223344aabbccdd11223344,true,2024-01-01 00:00:00,
    #     2025-03-31 23:59:59,...,Software Engineer,...,Regular,...,15baf9003ea943a9a62332bb48f5386c,
    #     ...,start_date 2024-01-01,...
    #   aabbccdd11223344aabbccdd11223302,...,2025-04-01 00:00:00,9999-12-31 23:59:59,...,
    #     Senior Software Engineer,...,Regular,...,15baf9003ea943a9a62332bb48f5386c,...,2025-04-01,...
    # worker_position_organization_history_data.csv:
    #   2024-01-01 00:00:00,0,aabbccdd11223344aabbccdd11223301,...,1c82dedad9504fe19b314a6a49e5dd83,,TRUE
    #   2025-04-01 00:00:00,0,aabbccdd11223344aabbccdd11223302,...,aabbccdd11223344aabbccdd11223399,,TRUE
    # -> declared SUPPORT then BILLING (both site NYC); job profile 15baf900... declared css.
    # worker_history_data.csv, latest version (line 8): ...,terminated false,...,worker_code 10030.
    # So: SUPPORT from 2024-01-01 to the day before the BILLING position started (2025-03-31),
    # ended as a transfer; nobody else holds position ...301 later -> not back-filled.
    # BILLING from 2025-04-01, still open. Regular -> permanent, so no contract end.
    assert rows == [
        ("10030", "NYC", "SUPPORT", "css", "permanent", D(2024, 1, 1), None, D(2025, 3, 31),
         "transfer", False, 6, "Software Engineer"),
        ("10030", "NYC", "BILLING", "css", "permanent", D(2025, 4, 1), None, None,
         None, None, 7, "Senior Software Engineer"),
    ]  # fmt: skip

    # Line 2 of worker_position_history: position d0e0ae2f... of worker 7687e33f...a822 is in
    # organisation 1c82dedad... (org history index 0), so it is a SUPPORT assignment, but the
    # worker is not in worker_history: quarantined with that vendor file and line.
    (q,) = query(wh, "select path, line, reason from raw._quarantine")
    assert q[0].endswith("workday/workday_worker_position_history_data.csv")
    assert q[1:] == (
        2,
        "worker 7687e33f1595017a1330268bd456a822 is not in worker_history: termination unknown",
    )

    # The other four positions (lines 3-6) are in no declared organisation, and the five
    # terminated workers of worker_history (lines 2-6: sbob, hsimpson, fflinstone, maddams,
    # pbear) hold no position: excluded, so every record is accounted for.
    excluded = query(wh, "select path, line, reason from raw._excluded order by path, line")
    assert [(Path(p).name, ln) for p, ln, _ in excluded] == [
        *(("workday_worker_history_data.csv", ln) for ln in (2, 3, 4, 5, 6)),
        *(("workday_worker_position_history_data.csv", ln) for ln in (3, 4, 5, 6)),
    ]

    # Personal data tables (names, ethnicity...) are never read; every file read is in the manifest.
    manifest = query(wh, "select path, status from raw._load_manifest order by path")
    assert [Path(p).name for p, _ in manifest] == [
        "workday_job_profile_data.csv",
        "workday_worker_history_data.csv",
        "workday_worker_position_history_data.csv",
        "workday_worker_position_organization_history_data.csv",
    ]
    assert not query(wh, "select * from raw.staff_roster where attributes::varchar ilike '%homer%'")

    # Loading again changes nothing; a changed table re-derives the folder's rows once.
    (again,) = load(landing, wh).files
    assert again.status == "unchanged"
    wpoh = landing / "workday" / "workday_worker_position_organization_history_data.csv"
    wpoh.write_text(
        wpoh.read_text().replace("aabbccdd11223344aabbccdd11223399", "1c82dedad9504fe19b314a6a49e5dd83")
    )
    (changed,) = load(landing, wh).files
    assert (changed.status, changed.rows) == ("replaced", 1)
    # Both positions now in SUPPORT with the same role: one assignment from 2024-01-01.
    assert query(wh, "select program_id, hired_at, separated_at from raw.staff_roster") == [
        ("SUPPORT", D(2024, 1, 1), None)
    ]
    statuses = query(wh, "select status, count(*) from raw._load_manifest group by 1 order by 1")
    assert statuses == [("loaded", 4), ("replaced", 1)]


WPH = """worker_id,position_id,_fivetran_start,start_date,employee_type,job_profile_id,end_employment_date
W1,P1,2026-01-01 00:00:00,2025-06-01,Regular,CSR,
W1,P2,2026-01-01 00:00:00,2026-03-01,Regular,CSR,
W2,P1,2026-01-01 00:00:00,2026-03-15,Fixed Term,CSR,2026-09-30
W3,P3,2026-01-01 00:00:00,2026-02-01,Contingent,CSR,
W4,P4,2026-01-01 00:00:00,2026-02-30,Regular,CSR,
W5,P5,2026-01-01 00:00:00,2026-01-05,Regular,TL,
"""
WH = (
    "id,_fivetran_start,worker_code,terminated,termination_date,termination_involuntary,"
    "primary_termination_category,contract_end_date\n"
    """W1,2026-01-01 00:00:00,E1,false,,,,
W2,2026-01-01 00:00:00,E2,true,2026-06-10,false,Terminate_Employee_Voluntary,
W3,2026-01-01 00:00:00,E3,true,2026-04-30,,Terminate_Employee_Involuntary,2026-12-31
W4,2026-01-01 00:00:00,E4,false,,,,
W5,2026-01-01 00:00:00,E5,false,,,,
"""
)
WPOH = """worker_id,position_id,index,_fivetran_start,organization_id
W1,P1,0,2026-01-01 00:00:00,ORG-A
W1,P2,0,2026-01-01 00:00:00,ORG-B
W2,P1,0,2026-01-01 00:00:00,ORG-A
W3,P3,0,2026-01-01 00:00:00,ORG-A
W4,P4,0,2026-01-01 00:00:00,ORG-A
W5,P5,0,2026-01-01 00:00:00,ORG-A,extra
"""
HAND_WORKDAY_SOURCES = """
workday:
  organizations:
    ORG-A: {program_id: TELCO, site_id: LON}
    ORG-B: {program_id: BANK}
  sites: {London: LON}
  roles: {CSR: css, TL: supervisor}
"""


def test_workday_transfer_backfill_contracts_and_bad_rows_on_hand_made_tables(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "workday", "worker_position_history.csv", WPH)
    write(landing, "workday", "worker_history.csv", WH)
    write(landing, "workday", "worker_position_organization_history.csv", WPOH)
    (landing / "sources.yml").write_text(HAND_WORKDAY_SOURCES)
    (f,) = load(landing, wh).files
    assert (f.status, f.rows, f.quarantined) == ("loaded", 4, 2)
    rows = query(
        wh,
        "select employee_id, program_id, site_id, role, employment_type, hired_at, contract_end_at, "
        "separated_at, separation_type, backfilled from raw.staff_roster order by employee_id, hired_at",
    )
    assert rows == [
        # W1: P1 in ORG-A (TELCO) from 2025-06-01, then P2 in ORG-B (BANK) from 2026-03-01: the
        # TELCO assignment ends 2026-02-28 as a transfer; W2 starts in P1 on 2026-03-15, after
        # that: back-filled. BANK declares no site and the position has no business site: NULL.
        ("E1", "TELCO", "LON", "css", "permanent", D(2025, 6, 1), None, D(2026, 2, 28), "transfer", True),
        ("E1", "BANK", None, "css", "permanent", D(2026, 3, 1), None, None, None, None),
        # W2: "Fixed Term" -> temporary, contract end from the position's end_employment_date;
        # terminated 2026-06-10, termination_involuntary false -> voluntary; nobody follows in P1.
        ("E2", "TELCO", "LON", "css", "temporary", D(2026, 3, 15), D(2026, 9, 30), D(2026, 6, 10),
         "voluntary", False),
        # W3: Contingent -> agency, contract end from worker_history; no involuntary flag, the
        # category says Involuntary.
        ("E3", "TELCO", "LON", "css", "agency", D(2026, 2, 1), D(2026, 12, 31), D(2026, 4, 30),
         "involuntary", False),
    ]  # fmt: skip
    bad = query(wh, "select path, line, reason from raw._quarantine order by path, line")
    assert [(Path(p).name, ln, why) for p, ln, why in bad] == [
        # W4 (line 6: header, W1 twice, W2, W3, W4): its start date 2026-02-30 does not exist.
        ("worker_position_history.csv", 6, "hired_at: not a date: 2026-02-30"),
        # A row with one column too many: quarantined with its own file and line; W5 then has
        # no organisation row, so its position is excluded, not guessed.
        (
            "worker_position_organization_history.csv",
            7,
            "malformed CSV row (too many columns): Expected Number of Columns: 5 Found: 6",
        ),
    ]
    assert query(wh, "select path, line, reason from raw._excluded") == [
        (str(landing / "workday" / "worker_position_history.csv"), 7,
         "position in none of the organisations declared in sources.yml (workday.organizations)"),
    ]  # fmt: skip


def test_workday_without_declarations_is_rejected_saying_what_to_declare(workday):
    landing, wh = workday
    (landing / "sources.yml").unlink()
    report = load(landing, wh)
    (f,) = report.files
    assert f.status == "rejected"
    assert f.message.startswith(f"{landing / 'workday'}/: rejected, no Workday declaration")
    assert "organizations: {<organization id>: {program_id" in f.message
    assert "roles: {<job profile id or code>: css}" in f.message
    assert query(wh, "select count(*) from raw.staff_roster") == [(0,)]


# -- Qualtrics -------------------------------------------------------------------------------


def test_qualtrics_sample_maps_responses_by_hand(qualtrics):
    landing, wh = qualtrics
    (f,) = load(landing, wh).files
    assert (f.entity, f.status, f.rows, f.quarantined) == ("survey_responses", "loaded", 5, 0)
    rows = query(
        wh,
        "select response_id, channel, selection, responded_at, overall_score, overall_scale_min, "
        "overall_scale_max, effort_score, attributes->>'survey_id', attributes->>'finished', "
        "attributes->>'progress', attributes->>'recipient_email', _row from raw.survey_responses "
        "where response_id in ('R_3e9aZTqhcgXRH0o', 'R_2DUphVbjGZGkvkg') order by _row",
    )
    # survey_response.csv line 2:
    #   R_3e9aZTqhcgXRH0o,2023-05-02 00:11:25.529000,email,9,2022-12-07 08:59:21.000000,0,
    #   182.69.177.44,...,20,jatin.aggarwal@fivetran.com,,,2022-12-14 09:02:00.000000,...,
    #   SV_6Jcja72TpOiHjdX,EN
    # line 3:
    #   R_2DUphVbjGZGkvkg,...,anonymous,118,2022-10-17 10:52:34.000000,0,...,12,,,,...
    # responded_at = end_date, read in the declared zone (UTC). question_response.csv holds
    # answers to QID2 only for other response ids (R_2w6q9pgBpebvjCg...), so no score; the
    # declared scale is still recorded. The recipient's e-mail is kept only as its keyed hash.
    assert rows == [
        ("R_3e9aZTqhcgXRH0o", "email", "all", dt.datetime(2022, 12, 7, 8, 59, 21, tzinfo=UTC),
         None, 1.0, 5.0, None, "SV_6Jcja72TpOiHjdX", "0", "20",
         pseudonymise("jatin.aggarwal@fivetran.com", TEST_KEY), 1),
        ("R_2DUphVbjGZGkvkg", "email", "all", dt.datetime(2022, 10, 17, 10, 52, 34, tzinfo=UTC),
         None, 1.0, 5.0, None, "SV_6Jcja72TpOiHjdX", "0", "12", None, 2),
    ]  # fmt: skip
    # Neither the raw e-mail nor the IP address nor the respondent's name is stored anywhere.
    for table in ("survey_responses", "_quarantine"):
        text = str(query(wh, f"select * from raw.{table}"))
        assert "fivetran.com" not in text and "182.69" not in text and "Aggarwak" not in text


def test_qualtrics_without_a_declared_scale_is_rejected_saying_what_to_declare(qualtrics):
    landing, wh = qualtrics
    (landing / "sources.yml").write_text("qualtrics:\n  time_zone: UTC\n")
    (f,) = load(landing, wh).files
    assert f.status == "rejected"
    assert "survey(s) SV_6Jcja72TpOiHjdX have no declared overall question and scale" in f.message
    assert "SV_6Jcja72TpOiHjdX:\n        overall: {question: QID1, scale: [1, 5]}" in f.message
    assert "the scale is never guessed" in f.message
    assert query(wh, "select count(*) from raw.survey_responses") == [(0,)]


SR = """id,survey_id,end_date,recorded_date,finished,progress,recipient_email,ip_address
R_1,SV_A,2026-03-02 09:00:00,2026-03-02 09:00:01,1,100,Ann@Example.com,10.0.0.1
R_2,SV_A,2026-03-02 10:00:00,2026-03-02 10:00:01,1,100,,10.0.0.2
R_3,SV_A,2026-03-02 11:00:00,2026-03-02 11:00:01,1,100,,10.0.0.3
"""
QR = """response_id,question_id,sub_question_key,loop_id,value
R_1,QID7,,,9
R_1,QID8,,,2
R_1,QID7,1,,3
R_2,QID7,,,11
R_3,QID7,,,10
"""
ED = """response_id,key,value
R_1,ContactId,C-100
R_1,Program,TELCO
R_2,ContactId,C-200
R_3,ContactId,C-300
"""
HAND_QUALTRICS_SOURCES = """
qualtrics:
  time_zone: Europe/London
  surveys:
    SV_A:
      overall: {question: QID7, scale: [0, 10]}
      effort: {question: QID8, scale: [1, 7]}
      columns:
        contact_id: {embedded: ContactId}
        program_id: {embedded: Program}
        channel: {value: voice}
        selection: {value: random}
"""


def test_qualtrics_tables_map_scores_embedded_data_and_quarantine_out_of_scale(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "qualtrics", "survey_response.csv", SR)
    write(landing, "qualtrics", "question_response.csv", QR)
    write(landing, "qualtrics", "survey_embedded_data.csv", ED)
    (landing / "sources.yml").write_text(HAND_QUALTRICS_SOURCES)
    (f,) = load(landing, wh).files
    assert (f.status, f.rows, f.quarantined) == ("loaded", 2, 1)
    rows = query(
        wh,
        "select response_id, contact_id, program_id, channel, selection, responded_at, "
        "overall_score, overall_scale_min, overall_scale_max, effort_score, effort_scale_min, "
        "effort_scale_max from raw.survey_responses order by response_id",
    )
    assert rows == [
        # R_1: QID7 = 9 (the sub-question row "QID7,1" is not the question's answer), QID8 = 2;
        # 09:00 London in March (GMT) = 09:00 UTC.
        ("R_1", "C-100", "TELCO", "voice", "random", dt.datetime(2026, 3, 2, 9, tzinfo=UTC),
         9.0, 0.0, 10.0, 2.0, 1.0, 7.0),
        ("R_3", "C-300", None, "voice", "random", dt.datetime(2026, 3, 2, 11, tzinfo=UTC),
         10.0, 0.0, 10.0, None, 1.0, 7.0),
    ]  # fmt: skip
    # R_2 answered 11 on a declared 0-10 scale: quarantined (line 3 of survey_response.csv).
    (q,) = query(wh, "select path, line, reason, record from raw._quarantine")
    assert (Path(q[0]).name, q[1], q[2]) == (
        "survey_response.csv",
        3,
        "overall_score: 11 outside the declared scale 0-10",
    )
    assert json.loads(q[3])["recipient_email"] is None


NATIVE = (
    '"StartDate","EndDate","Status","IPAddress","Progress","Duration (in seconds)","Finished",'
    '"RecordedDate","ResponseId","RecipientLastName","RecipientFirstName","RecipientEmail",'
    '"DistributionChannel","Q1","Q2","Channel","ContactId"\n'
    '"Start Date","End Date","Response Type","IP Address","Progress","Duration (in seconds)",'
    '"Finished","Recorded Date","Response ID","Recipient Last Name","Recipient First Name",'
    '"Recipient Email","Distribution Channel","How satisfied were you, overall?",'
    '"How easy was it?\nPlease be honest.","Channel","ContactId"\n'
    + ",".join(
        '"' + json.dumps(d, separators=(",", ":")).replace('"', '""') + '"'
        for d in [
            {"ImportId": "startDate", "timeZone": "America/Denver"},
            {"ImportId": "endDate", "timeZone": "America/Denver"},
            {"ImportId": "status"},
            {"ImportId": "ipAddress"},
            {"ImportId": "progress"},
            {"ImportId": "duration"},
            {"ImportId": "finished"},
            {"ImportId": "recordedDate", "timeZone": "America/Denver"},
            {"ImportId": "_recordId"},
            {"ImportId": "recipientLastName"},
            {"ImportId": "recipientFirstName"},
            {"ImportId": "recipientEmail"},
            {"ImportId": "distributionChannel"},
            {"ImportId": "QID1"},
            {"ImportId": "QID2"},
            {"ImportId": "Channel"},
            {"ImportId": "ContactId"},
        ]
    )
    + "\n"
    "2026-03-07 23:55:00,2026-03-08 01:30:00,0,1.2.3.4,100,120,1,2026-03-08 01:30:01,R_n1,Doe,Jo,"
    "jo@example.com,email,5,2,chat,K-1\n"
    "2026-03-09 08:00:00,2026-03-09 08:05:00,0,1.2.3.5,100,300,1,2026-03-09 08:05:01,R_n2,,,"
    ",anonymous,6,3,voice,K-2\n"
    "2026-03-09 09:00:00,2026-03-09 09:05:00,0,1.2.3.6,100,300,1,2026-03-09 09:05:01,R_n3,,,"
    ",anonymous,1,,voice,K-3\n"
)
NATIVE_SOURCES = """
qualtrics:
  surveys:
    SV_B:
      files: ["csat_*.csv"]
      overall: {question: QID1, scale: [1, 5]}
      effort: {question: QID2, scale: [1, 5]}
      columns: {channel: {embedded: Channel}, contact_id: {embedded: ContactId}}
"""


def test_native_qualtrics_export_with_three_header_rows(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "qualtrics", "csat_2026-03.csv", NATIVE)
    (landing / "sources.yml").write_text(NATIVE_SOURCES)
    (f,) = load(landing, wh).files
    assert (f.status, f.rows, f.quarantined) == ("loaded", 2, 1)
    rows = query(
        wh,
        "select response_id, contact_id, channel, responded_at, overall_score, effort_score, "
        "overall_scale_max, attributes->>'recipient_email', attributes->>'survey_id', _row "
        "from raw.survey_responses order by response_id",
    )
    assert rows == [
        # Row 3 declares the export's zone, America/Denver: 2026-03-08 01:30 is MST (UTC-7),
        # before that day's 02:00 DST change -> 08:30 UTC.
        ("R_n1", "K-1", "chat", dt.datetime(2026, 3, 8, 8, 30, tzinfo=UTC), 5.0, 2.0, 5.0,
         pseudonymise("jo@example.com", TEST_KEY), "SV_B", 1),
        # R_n3 ended 2026-03-09 09:05 MDT (UTC-6, after the DST change) -> 15:05 UTC.
        ("R_n3", "K-3", "voice", dt.datetime(2026, 3, 9, 15, 5, tzinfo=UTC), 1.0, None, 5.0,
         None, "SV_B", 3),
    ]  # fmt: skip
    # R_n2 answered 6 on the 1-5 overall scale: quarantined at its physical line. Row 2's
    # question text spans two lines, so the header is lines 1-4 and R_n2 is on line 6.
    assert query(wh, "select line, reason from raw._quarantine") == [
        (6, "overall_score: 6 outside the declared scale 1-5")
    ]
    text = str(query(wh, "select * from raw.survey_responses")) + str(
        query(wh, "select * from raw._quarantine")
    )
    assert "jo@example.com" not in text and "1.2.3." not in text and "Doe" not in text

    # The same export under another name is a duplicate export, not loaded again.
    write(landing, "qualtrics", "csat_2026-03 (1).csv", NATIVE)
    statuses = {Path(r.path).name: r.status for r in load(landing, wh).files}
    assert statuses == {"csat_2026-03.csv": "unchanged", "csat_2026-03 (1).csv": "duplicate"}


def test_native_export_of_an_undeclared_survey_is_rejected_by_name(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "qualtrics", "export.csv", NATIVE)
    (f,) = load(landing, wh).files
    assert f.status == "rejected"
    assert f.message.startswith(f"{landing / 'qualtrics' / 'export.csv'}: rejected, ")
    assert "qualtrics.surveys.<survey id>.files: [export.csv]" in f.message
    assert "overall: {question: QID1, scale: [1, 5]}" in f.message
