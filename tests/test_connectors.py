"""The connector rules of SOURCES.md, on real DuckDB files: idempotent, re-exports, quarantine, rejects,
time zones, pseudonymisation, and every input format."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import hmac
import json

import duckdb
import fsspec
import pytest

from cxmart.connectors import schema
from cxmart.connectors.loader import pseudonymise

from conftest import TEST_KEY, csv_text, load, query, write

UTC = dt.UTC


def call(contact: str, offered: str, **kw) -> dict:
    row = {
        "contact_id": contact,
        "segment_id": "1",
        "site_id": "LON",
        "program_id": "P1",
        "queue_id": "Q1",
        "channel": "voice",
        "direction": "inbound",
        "customer_key": f"+4477009{contact[-5:].zfill(5)}",
        "offered_at": offered,
        "answered_at": "",
        "abandoned": "false",
        "outcome": "answered",
        "wait_seconds": "12",
        "talk_seconds": "180",
    }
    row.update(kw)
    return row


def day_of_calls(day: str, n: int, prefix: str = "c") -> list[dict]:
    return [call(f"{prefix}{day}-{i:03d}", f"{day}T{9 + i % 8:02d}:{i % 60:02d}:00+00:00") for i in range(n)]


def table_digest(warehouse, table: str) -> tuple[int, str]:
    rows = query(
        warehouse,
        f"select * exclude (_loaded_at, _file_id) from raw.{table} order by all",
    )
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


# -- idempotence and re-exports -------------------------------------------------------------


def test_loading_the_same_landing_twice_changes_nothing(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(
        landing,
        "acd_contacts",
        "calls_2026-11-19.csv",
        csv_text("acd_contacts", day_of_calls("2026-11-19", 40)),
    )
    write(
        landing,
        "acd_contacts",
        "calls_2026-11-20.csv",
        csv_text("acd_contacts", day_of_calls("2026-11-20", 30)),
    )
    write(
        landing, "sites", "sites.csv", csv_text("sites", [{"site_id": "LON", "time_zone": "Europe/London"}])
    )

    first = load(landing, wh)
    assert first.rows_by_entity() == {"sites": 1, "acd_contacts": 70}
    before = table_digest(wh, "acd_contacts"), table_digest(wh, "sites")

    second = load(landing, wh)
    assert [f.status for f in second.files] == ["unchanged"] * 3
    assert second.rows_by_entity() == {"sites": 0, "acd_contacts": 0}
    assert (table_digest(wh, "acd_contacts"), table_digest(wh, "sites")) == before
    assert query(wh, "select count(*) from raw._load_manifest") == [(3,)]


def test_a_copy_of_a_file_under_another_name_is_a_duplicate_export_not_loaded_again(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    content = csv_text("acd_contacts", day_of_calls("2026-11-20", 10))
    write(landing, "acd_contacts", "calls_2026-11-20.csv", content)
    load(landing, wh)
    write(landing, "acd_contacts", "calls_2026-11-20 (copy).csv", content)

    report = load(landing, wh)
    statuses = {f.path.rsplit("/", 1)[1]: f.status for f in report.files}
    assert statuses == {"calls_2026-11-20 (copy).csv": "duplicate", "calls_2026-11-20.csv": "unchanged"}
    assert query(wh, "select count(*) from raw.acd_contacts") == [(10,)]
    assert query(wh, "select status from raw._load_manifest where path like '%(copy).csv'") == [
        ("duplicate",)
    ]


def test_a_re_export_of_one_day_replaces_exactly_that_day(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(
        landing,
        "acd_contacts",
        "calls_2026-11-19.csv",
        csv_text("acd_contacts", day_of_calls("2026-11-19", 40)),
    )
    write(
        landing,
        "acd_contacts",
        "calls_2026-11-20.csv",
        csv_text("acd_contacts", day_of_calls("2026-11-20", 30)),
    )
    load(landing, wh)
    untouched = query(
        wh, "select * exclude (_loaded_at) from raw.acd_contacts where offered_at < '2026-11-20' order by all"
    )

    # The corrected export of the 20th drops 5 calls, changes one wait and adds 2 late calls.
    corrected = day_of_calls("2026-11-20", 25)
    corrected[0]["wait_seconds"] = "99"
    corrected += [call("late-1", "2026-11-20T22:10:00+00:00"), call("late-2", "2026-11-20T22:20:00+00:00")]
    write(landing, "acd_contacts", "calls_2026-11-20.csv", csv_text("acd_contacts", corrected))

    report = load(landing, wh)
    by_name = {f.path.rsplit("/", 1)[1]: f for f in report.files}
    assert by_name["calls_2026-11-20.csv"].status == "replaced"
    assert by_name["calls_2026-11-20.csv"].rows == 27
    assert by_name["calls_2026-11-19.csv"].status == "unchanged"
    # 40 + 25 + 2: the dropped calls are gone, nothing counted twice.
    assert query(wh, "select count(*) from raw.acd_contacts") == [(67,)]
    assert query(wh, "select count(*) from raw.acd_contacts where offered_at >= '2026-11-20'") == [(27,)]
    assert query(wh, "select wait_seconds from raw.acd_contacts where contact_id = 'c2026-11-20-000'") == [
        (99.0,)
    ]
    assert (
        query(
            wh,
            "select * exclude (_loaded_at) from raw.acd_contacts "
            "where offered_at < '2026-11-20' order by all",
        )
        == untouched
    )
    assert sorted(query(wh, "select status from raw._load_manifest")) == [
        ("loaded",),
        ("loaded",),
        ("replaced",),
    ]


def test_overlapping_rows_in_a_differently_named_export_are_not_double_counted(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "acd_contacts", "a.csv", csv_text("acd_contacts", day_of_calls("2026-11-20", 10)))
    load(landing, wh)
    again = day_of_calls("2026-11-20", 10)[5:]  # 5 of the same contacts, one corrected
    again[0]["outcome"] = "abandoned"
    write(landing, "acd_contacts", "b.csv", csv_text("acd_contacts", again))
    load(landing, wh)
    assert query(wh, "select count(*), count(distinct contact_id) from raw.acd_contacts") == [(10, 10)]
    assert query(wh, "select outcome from raw.acd_contacts where contact_id = 'c2026-11-20-005'") == [
        ("abandoned",)
    ]


# -- strictness -----------------------------------------------------------------------------


def test_three_malformed_rows_are_quarantined_with_their_lines_and_the_rest_loads(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    good = csv_text("acd_contacts", day_of_calls("2026-11-20", 6)).splitlines()
    header = good[0]
    lines = [
        header,  # line 1
        good[1],  # 2
        good[2].replace(",12,", ",twelve,"),  # 3: wait_seconds is not a number
        good[3],  # 4
        "",  # 5: blank line (skipped, not an error)
        good[4] + ",surplus",  # 6: one column too many
        good[5],  # 7
        good[6].replace("2026-11-20T", "2026-13-45T"),  # 8: impossible timestamp
    ]
    write(landing, "acd_contacts", "calls.csv", "\n".join(lines) + "\n")

    report = load(landing, wh)
    (f,) = report.files
    assert (f.status, f.rows, f.quarantined) == ("loaded", 3, 3)
    assert report.quarantined == 3
    q = query(wh, "select path, line, reason from raw._quarantine order by line")
    assert [(line) for _, line, _ in q] == [3, 6, 8]
    assert all(p.endswith("acd_contacts/calls.csv") for p, _, _ in q)
    assert "wait_seconds: not a number: twelve" in q[0][2]
    assert "too many columns" in q[1][2]
    assert "offered_at: not a timestamp" in q[2][2]
    assert query(wh, "select count(*) from raw.acd_contacts") == [(3,)]


def test_required_values_codes_and_repeated_keys_are_quarantined(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    rows = day_of_calls("2026-11-20", 4)
    rows[1]["contact_id"] = ""
    rows[2]["outcome"] = "HUNG_UP"
    rows[3]["contact_id"] = rows[0]["contact_id"]
    write(landing, "acd_contacts", "calls.csv", csv_text("acd_contacts", rows))
    load(landing, wh)
    q = query(wh, "select line, reason from raw._quarantine order by line")
    assert [line for line, _ in q] == [3, 4, 5]
    assert "contact_id: required value missing" in q[0][1]
    assert "outcome: not one of" in q[1][1] and "hung_up" not in q[1][1].split(":")[1]
    assert "duplicate primary key" in q[2][1]
    assert query(wh, "select contact_id from raw.acd_contacts") == [(rows[0]["contact_id"],)]


def test_truncated_gzip_and_binary_files_are_rejected_by_name_and_nothing_is_half_loaded(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    big = csv_text("acd_contacts", day_of_calls("2026-11-20", 400)).encode()
    write(landing, "acd_contacts", "broken.csv.gz", gzip.compress(big)[: len(gzip.compress(big)) // 2])
    write(landing, "acd_contacts", "photo.csv", bytes(range(256)) * 40)
    write(landing, "acd_contacts", "notes.xlsx", b"PK\x03\x04 spreadsheet")
    write(landing, "acd_contacts", "ok.csv", csv_text("acd_contacts", day_of_calls("2026-11-19", 5)))

    report = load(landing, wh)
    rejected = {f.path.rsplit("/", 1)[1]: f.message for f in report.rejected}
    assert set(rejected) == {"broken.csv.gz", "photo.csv", "notes.xlsx"}
    for name, message in rejected.items():
        assert message.startswith(str(landing / "acd_contacts" / name) + ": rejected, ")
    assert "GZIP" in rejected["broken.csv.gz"]
    assert "binary" in rejected["photo.csv"]
    assert "unsupported file type" in rejected["notes.xlsx"]
    # Only the good file's rows exist; the truncated gzip contributed none of its rows.
    assert query(wh, "select count(*) from raw.acd_contacts") == [(5,)]
    assert query(wh, "select count(*) from raw._quarantine") == [(0,)]
    assert sorted(query(wh, "select status from raw._load_manifest")) == [("loaded",)] + [("rejected",)] * 3


def test_a_file_missing_a_required_column_is_rejected_naming_it(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "acd_contacts", "calls.csv", "contact_id,segment_id,queue_id\nc1,1,Q1\n")
    (f,) = load(landing, wh).files
    assert f.status == "rejected"
    assert "calls.csv: rejected, header lacks required column(s) offered_at of acd_contacts" in f.message


# -- time zones -----------------------------------------------------------------------------


def test_timestamps_without_offset_are_read_in_the_declared_zone_across_dst(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    (landing / "sources.yml").write_text("entities:\n  acd_contacts:\n    time_zone: Europe/London\n")
    rows = [
        call("c1", "2026-03-28 12:00:00"),  # GMT: 12:00Z
        call("c2", "2026-03-29 00:30:00"),  # still GMT: 00:30Z
        call("c3", "2026-03-29 03:00:00"),  # BST after 01:00Z: 02:00Z
        call("c4", "2026-10-25 12:00:00"),  # back to GMT: 12:00Z
        call("c5", "2026-03-29T03:00:00+09:00"),  # an explicit offset wins: 2026-03-28 18:00Z
    ]
    write(landing, "acd_contacts", "calls.csv", csv_text("acd_contacts", rows))
    load(landing, wh)
    got = dict(query(wh, "select contact_id, offered_at from raw.acd_contacts"))
    assert got == {
        "c1": dt.datetime(2026, 3, 28, 12, 0, tzinfo=UTC),
        "c2": dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        "c3": dt.datetime(2026, 3, 29, 2, 0, tzinfo=UTC),
        "c4": dt.datetime(2026, 10, 25, 12, 0, tzinfo=UTC),
        "c5": dt.datetime(2026, 3, 28, 18, 0, tzinfo=UTC),
    }


def test_site_mode_reads_each_row_in_its_sites_zone(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    (landing / "sources.yml").write_text("entities:\n  acd_contacts:\n    time_zone: site\n")
    write(
        landing,
        "sites",
        "sites.csv",
        csv_text(
            "sites",
            [
                {"site_id": "LON", "time_zone": "Europe/London"},
                {"site_id": "NYC", "time_zone": "America/New_York"},
            ],
        ),
    )
    # 2026-03-10: New York is already on EDT (UTC-4), London still on GMT.
    rows = [call("c1", "2026-03-10 09:00:00"), call("c2", "2026-03-10 09:00:00", site_id="NYC")]
    write(landing, "acd_contacts", "calls.csv", csv_text("acd_contacts", rows))
    load(landing, wh)
    got = dict(query(wh, "select contact_id, offered_at from raw.acd_contacts"))
    assert got == {
        "c1": dt.datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        "c2": dt.datetime(2026, 3, 10, 13, 0, tzinfo=UTC),
    }


def test_a_timestamp_without_offset_and_without_a_declared_zone_is_never_guessed(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "acd_contacts", "calls.csv", csv_text("acd_contacts", [call("c1", "2026-03-10 09:00:00")]))
    (f,) = load(landing, wh).files
    assert (f.rows, f.quarantined) == (0, 1)
    (reason,) = query(wh, "select reason from raw._quarantine")[0]
    assert "offered_at: timestamp has no UTC offset and no time zone is declared" in reason


# -- pseudonymisation -----------------------------------------------------------------------


def test_the_sql_keyed_hash_is_hmac_sha256_of_the_normalised_identifier(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(
        landing,
        "acd_contacts",
        "calls.csv",
        csv_text("acd_contacts", [call("c1", "2026-03-10T09:00:00Z", customer_key=" Alice@Example.COM ")]),
    )
    load(landing, wh)
    expected = hmac.new(TEST_KEY.encode(), b"alice@example.com", hashlib.sha256).hexdigest()
    assert query(wh, "select customer_key from raw.acd_contacts") == [(expected,)]
    assert pseudonymise(" Alice@Example.COM ", TEST_KEY) == expected


def test_raw_customer_identifiers_appear_nowhere_in_the_warehouse(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    phones = [f"+4477009{n:05d}" for n in (11111, 22222, 33333)]
    email = "jane.doe@example.org"
    header = [*csv_text("acd_contacts", []).strip().split(","), "caller_phone", "customer_email", "ivr_path"]
    rows = [
        call(
            "c1",
            "2026-03-10T09:00:00Z",
            customer_key=phones[0],
            caller_phone=phones[0],
            customer_email=email,
            ivr_path="1>2",
        ),
        call("c2", "2026-03-10T09:05:00Z", customer_key=phones[1], caller_phone=phones[1], ivr_path="1"),
        # malformed: lands in quarantine, which must not keep the identifiers either
        call(
            "c3",
            "2026-03-10T09:07:00Z",
            customer_key=phones[2],
            caller_phone=phones[2],
            customer_email=email,
            wait_seconds="n/a",
        ),
    ]
    write(landing, "acd_contacts", "calls.csv", csv_text("acd_contacts", rows, header=header))
    chats = "chat_id,queue_id,requested_at,customer_key\nch1,CQ1,2026-03-10T09:00:00Z,jane.doe@example.org\n"
    write(
        landing,
        "chat_sessions",
        "chats.jsonl",
        json.dumps(
            {
                "chat_id": "ch2",
                "queue_id": "CQ1",
                "requested_at": "2026-03-10T10:00:00Z",
                "customer_key": phones[0],
            }
        )
        + "\n",
    )
    write(landing, "chat_sessions", "chats.csv", chats)
    report = load(landing, wh)
    assert report.quarantined == 1 and not report.rejected

    # The non-identifier extra column is kept as it is; the identifier extras are hashed.
    attrs = query(wh, "select attributes from raw.acd_contacts where contact_id = 'c1'")[0][0]
    assert '"ivr_path":"1>2"' in attrs
    assert pseudonymise(phones[0], TEST_KEY) in attrs

    con = duckdb.connect(str(wh))
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables where table_schema = 'raw'"
    ).fetchall()
    for schema_name, table in tables:
        text = con.execute(
            f"select string_agg(cast(columns(*) as varchar), '|') from {schema_name}.{table}"
        ).fetchall()
        blob = repr(text)
        for secret in [*phones, email]:
            assert secret not in blob, f"{secret} found in {schema_name}.{table}"
    con.execute("checkpoint")
    con.close()
    data = wh.read_bytes()
    for secret in [*phones, email]:
        assert secret.encode() not in data


def test_a_run_without_a_key_is_refused_with_a_clear_message(monkeypatch):
    from cxmart.config import ConfigError, pseudonym_key

    monkeypatch.delenv("CXMART_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ConfigError, match="CXMART_PSEUDONYM_KEY is not set"):
        pseudonym_key()
    assert pseudonym_key(demo=True)


# -- formats and locations ------------------------------------------------------------------


def test_csv_gz_parquet_and_json_lines_land_the_same_rows(home, tmp_path):
    rows = day_of_calls("2026-11-20", 5)
    results = {}
    for fmt in ("csv", "csv.gz", "parquet", "jsonl"):
        landing = tmp_path / fmt / "landing"
        wh = tmp_path / fmt / "w.duckdb"
        text = csv_text("acd_contacts", rows)
        if fmt == "csv":
            write(landing, "acd_contacts", "calls.csv", text)
        elif fmt == "csv.gz":
            write(landing, "acd_contacts", "calls.csv.gz", gzip.compress(text.encode()))
        else:
            src = tmp_path / fmt / "src.csv"
            src.parent.mkdir(parents=True)
            src.write_text(text)
            out = landing / "acd_contacts" / f"calls.{fmt}"
            out.parent.mkdir(parents=True)
            con = duckdb.connect()
            rel = f"select * from read_csv('{src}', all_varchar = true)"
            if fmt == "parquet":
                con.execute(f"copy ({rel}) to '{out}' (format parquet)")
            else:
                con.execute(f"copy ({rel}) to '{out}' (format json)")
            con.close()
        report = load(landing, wh)
        assert [f.status for f in report.files] == ["loaded"], report.files
        results[fmt] = query(
            wh,
            "select * exclude (_loaded_at, _file_id, attributes) from raw.acd_contacts order by contact_id",
        )
    assert len(results["csv"]) == 5
    assert results["csv"] == results["csv.gz"] == results["parquet"] == results["jsonl"]


def test_malformed_json_lines_are_quarantined_with_their_line(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    lines = [
        '{"chat_id": "a", "queue_id": "CQ1", "requested_at": "2026-03-10T09:00:00Z"}',
        "{not json",
        "",
        '{"chat_id": "b", "queue_id": "CQ1", "requested_at": "2026-03-10T09:01:00Z", "wrap_seconds": "x"}',
        '{"chat_id": "c", "queue_id": "CQ1", "requested_at": "2026-03-10T09:02:00Z"}',
    ]
    write(landing, "chat_sessions", "chats.jsonl", "\n".join(lines) + "\n")
    (f,) = load(landing, wh).files
    assert (f.rows, f.quarantined) == (2, 2)
    q = query(wh, "select line, reason from raw._quarantine order by line")
    assert [line for line, _ in q] == [2, 4]
    assert "not a valid JSON object" in q[0][1]
    assert "wrap_seconds: not a number" in q[1][1]


def test_any_fsspec_location_loads_without_code_changes(tmp_path):
    fs = fsspec.filesystem("memory")
    fs.pipe(
        "/cxmart-test-landing/acd_contacts/calls.csv",
        csv_text("acd_contacts", day_of_calls("2026-11-20", 7)).encode(),
    )
    wh = tmp_path / "w.duckdb"
    report = load("memory://cxmart-test-landing", wh)
    (f,) = report.files
    assert f.status == "loaded" and f.rows == 7
    assert f.path == "memory:///cxmart-test-landing/acd_contacts/calls.csv"
    assert load("memory://cxmart-test-landing", wh).files[0].status == "unchanged"


def test_the_run_says_once_which_documented_defaults_apply(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, "acd_contacts", "calls.csv", csv_text("acd_contacts", day_of_calls("2026-11-20", 2)))
    assert load(landing, wh).notes == [
        "no sites exported: every site's local day is taken in UTC (the default)"
    ]
    write(landing, "sites", "sites.csv", csv_text("sites", [{"site_id": "LON"}, {"site_id": "NYC"}]))
    queues = [{"queue_id": "Q1", "service_level_seconds": "30"}, {"queue_id": "Q2"}]
    write(landing, "queues", "queues.csv", csv_text("queues", queues))
    assert load(landing, wh).notes == [
        "2 site(s) without time_zone: UTC applies (the default)",
        "1 queue(s) without service_level_seconds: 20 s applies (the default)",
        "2 queue(s) without short_abandon_seconds: 5 s applies (the default)",
        "2 queue(s) without sl_formula: copc_offered applies (the default)",
    ]


def test_a_truncated_json_lines_gzip_is_rejected_and_the_next_file_still_loads(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    lines = "".join(
        json.dumps({"chat_id": f"c{i}", "queue_id": "CQ1", "requested_at": "2026-03-10T09:00:00Z"}) + "\n"
        for i in range(2000)
    ).encode()
    packed = gzip.compress(lines)
    write(landing, "chat_sessions", "a_broken.jsonl.gz", packed[: len(packed) // 2])
    write(landing, "chat_sessions", "b_ok.jsonl", lines[:200].rsplit(b"\n", 1)[0] + b"\n")
    report = load(landing, wh)
    status = {f.path.rsplit("/", 1)[1]: f.status for f in report.files}
    assert status == {"a_broken.jsonl.gz": "rejected", "b_ok.jsonl": "loaded"}
    assert "a_broken.jsonl.gz: rejected" in report.rejected[0].message
    assert query(wh, "select count(*) from raw.chat_sessions")[0][0] == report.files[1].rows > 0


def _gzip_cases(big: bytes) -> dict[str, bytes]:
    """Damaged gzip files of one 400-call export, each named for how it is damaged."""
    packed = gzip.compress(big)
    middle = bytearray(packed)
    for i in range(len(middle) // 2, len(middle) // 2 + 64):  # 64 bytes of garbage mid-stream
        middle[i] ^= 0xFF
    return {
        "garbage_in_the_middle.csv.gz": bytes(middle),
        "truncated.csv.gz": packed[: len(packed) // 2],
        "last_bytes_cut.csv.gz": packed[:-3],
        "wrong_crc.csv.gz": packed[:-8] + b"\0\0\0\0" + packed[-4:],
        "not_gzip.csv.gz": big,  # plain CSV text under a .gz name
        "deflate_garbage.csv.gz": b"\x1f\x8b\x08\x00garbage" * 5,  # a gzip header, then junk
    }


def test_a_corrupt_csv_gz_is_rejected_by_name_and_every_other_file_still_loads(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    big = csv_text("acd_contacts", day_of_calls("2026-11-20", 400)).encode()
    cases = _gzip_cases(big)
    for name, content in cases.items():
        write(landing, "acd_contacts", name, content)
    # Sorted after every damaged file, so a crash on one of them would leave these unloaded.
    write(landing, "acd_contacts", "z_ok.csv", csv_text("acd_contacts", day_of_calls("2026-11-19", 5)))
    ok_two = gzip.compress(b"contact_id,segment_id,queue_id,offered_at\nm1,1,Q1,2026-11-18T09:00:00Z\n")
    ok_two += gzip.compress(b"m2,1,Q1,2026-11-18T10:00:00Z\n")  # a valid two-member gzip
    write(landing, "acd_contacts", "z_two_members.csv.gz", ok_two)

    report = load(landing, wh)
    rejected = {f.path.rsplit("/", 1)[1]: f.message for f in report.rejected}
    assert set(rejected) == set(cases)
    for name, message in rejected.items():
        assert message.startswith(str(landing / "acd_contacts" / name) + ": rejected, ")
    assert "corrupt GZIP stream" in rejected["garbage_in_the_middle.csv.gz"]
    assert "corrupt GZIP stream" in rejected["wrong_crc.csv.gz"]
    assert "truncated GZIP stream" in rejected["truncated.csv.gz"]
    assert "truncated GZIP stream" in rejected["last_bytes_cut.csv.gz"]
    assert "not GZIP-compressed" in rejected["not_gzip.csv.gz"]
    assert "corrupt GZIP stream" in rejected["deflate_garbage.csv.gz"]
    # The manifest names every bad file; none of their rows landed: 5 + 2 rows from the good files.
    manifest = dict(query(wh, "select path, status from raw._load_manifest"))
    for name in cases:
        assert manifest[str(landing / "acd_contacts" / name)] == "rejected"
    assert query(wh, "select count(*) from raw.acd_contacts") == [(7,)]
    assert query(wh, "select count(*) from raw._quarantine") == [(0,)]


def test_a_json_lines_gzip_with_garbage_in_the_middle_is_rejected(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    lines = "".join(
        json.dumps({"chat_id": f"c{i}", "queue_id": "CQ1", "requested_at": "2026-03-10T09:00:00Z"}) + "\n"
        for i in range(2000)
    ).encode()
    packed = bytearray(gzip.compress(lines))
    for i in range(len(packed) // 2, len(packed) // 2 + 32):
        packed[i] ^= 0xFF
    write(landing, "chat_sessions", "a_broken.jsonl.gz", bytes(packed))
    ok = {"chat_id": "x", "queue_id": "CQ1", "requested_at": "2026-03-10T09:00:00Z"}
    write(landing, "chat_sessions", "b_ok.jsonl", json.dumps(ok))
    report = load(landing, wh)
    status = {f.path.rsplit("/", 1)[1]: f.status for f in report.files}
    assert status == {"a_broken.jsonl.gz": "rejected", "b_ok.jsonl": "loaded"}
    assert "corrupt GZIP stream" in report.rejected[0].message
    assert query(wh, "select chat_id from raw.chat_sessions") == [("x",)]


# -- columns a metric rule depends on, and row rules ----------------------------------------

# One valid hand-made row per entity whose metric rules need a column that exports may leave
# out; the first column is the row's own id.
METRIC_COLUMNS = {
    ("acd_contacts", "queue_id"): call("c00001", "2026-03-10T09:00:00+00:00"),
    ("chat_sessions", "queue_id"): {
        "chat_id": "ch1", "queue_id": "CQ1", "requested_at": "2026-03-10T09:00:00Z",
    },
    ("qa_evaluations", "program_id"): {
        "evaluation_id": "ev1", "program_id": "P1", "evaluated_at": "2026-03-10T09:00:00Z",
    },
    ("bot_conversations", "program_id"): {
        "conversation_id": "b1", "program_id": "P1", "started_at": "2026-03-10T09:00:00Z",
    },
    ("staff_roster", "program_id"): {
        "employee_id": "E1", "program_id": "P1", "role": "css", "hired_at": "2026-01-05",
    },
    ("staff_roster", "role"): {
        "employee_id": "E1", "program_id": "P1", "role": "css", "hired_at": "2026-01-05",
    },
    ("absences", "hours"): {"employee_id": "E1", "date": "2026-03-10", "hours": "8", "planned": "false"},
    ("absences", "planned"): {"employee_id": "E1", "date": "2026-03-10", "hours": "8", "planned": "true"},
    ("wfm_forecasts", "forecast_offered"): {
        "queue_id": "Q1", "interval_start": "2026-03-10T09:00:00Z", "horizon": "scheduling",
        "forecast_offered": "3.5", "made_at": "2026-03-01T00:00:00Z",
    },
    ("program_costs", "total_cost"): {"program_id": "P1", "month": "2026-03", "total_cost": "1000"},
}  # fmt: skip


@pytest.mark.parametrize(("entity", "column"), sorted(METRIC_COLUMNS))
def test_a_column_a_metric_needs_is_required_by_header_and_by_row(home, entity, column):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    row = METRIC_COLUMNS[(entity, column)]
    key = next(iter(row))
    without = [c for c in schema.entity(entity).column_names if c != column]
    write(landing, entity, "a_without_column.csv", csv_text(entity, [row], header=without))
    # line 2: the good row; line 3: another row (its own id) without the column's value
    write(
        landing, entity, "b_one_null.csv", csv_text(entity, [row, {**row, key: row[key] + "x", column: ""}])
    )
    report = load(landing, wh)
    by_name = {f.path.rsplit("/", 1)[1]: f for f in report.files}
    assert by_name["a_without_column.csv"].status == "rejected"
    assert f"header lacks required column(s) {column} of {entity}" in by_name["a_without_column.csv"].message
    assert (by_name["b_one_null.csv"].status, by_name["b_one_null.csv"].rows) == ("loaded", 1)
    assert query(wh, "select line, reason from raw._quarantine") == [(3, f"{column}: required value missing")]
    assert query(wh, f"select {key} from raw.{entity}") == [(row[key],)]


def test_rows_breaking_a_row_rule_are_quarantined_with_line_and_reason(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    rows = [
        # line 2: good (an id with a space inside is still plain)
        call("c00001", "2026-03-10T09:00:00+00:00", queue_id="Q 1"),
        # line 3: ended a minute before it was offered
        call("c00002", "2026-03-10T09:00:00+00:00", ended_at="2026-03-10T08:59:00+00:00"),
        # line 4: answered a second before offered (clock skew between systems): loads, the raw
        # gate judges it
        call("c00003", "2026-03-10T09:00:00+00:00", answered_at="2026-03-10T08:59:59+00:00"),
        # line 5: a negative talk time
        call("c00004", "2026-03-10T09:00:00+00:00", talk_seconds="-5"),
        # line 6: a contact id with a leading space
        call(" c00005", "2026-03-10T09:00:00+00:00"),
        # line 7: a queue id ending in a tab
        call("c00006", "2026-03-10T09:00:00+00:00", queue_id="Q1\t"),
        # line 8: good, ended exactly when offered (not before)
        call("c00007", "2026-03-10T09:00:00+00:00", ended_at="2026-03-10T09:00:00+00:00"),
    ]
    write(landing, "acd_contacts", "calls.csv", csv_text("acd_contacts", rows))
    chats = [
        {"chat_id": "k1", "queue_id": "CQ1", "invited_at": "2026-03-10T09:00:00Z",
         "ended_at": "2026-03-10T08:00:00Z"},  # line 2: proactive, ended before its invitation
        {"chat_id": "k2", "queue_id": "CQ1", "requested_at": "2026-03-10T09:00:00Z",
         "ended_at": "2026-03-10T09:30:00Z", "wrap_seconds": "-1"},  # line 3: negative wrap
    ]  # fmt: skip
    write(landing, "chat_sessions", "chats.csv", csv_text("chat_sessions", chats))
    load(landing, wh)
    q = query(wh, "select entity, line, reason from raw._quarantine order by entity, line")
    assert q == [
        ("acd_contacts", 3, "ended_at: before offered_at"),
        ("acd_contacts", 5, "talk_seconds: negative: -5.0"),
        (
            "acd_contacts",
            6,
            "contact_id: not a plain identifier (white space at an end, or a control character)",
        ),
        (
            "acd_contacts",
            7,
            "queue_id: not a plain identifier (white space at an end, or a control character)",
        ),
        ("chat_sessions", 2, "ended_at: before requested_at (or invited_at)"),
        ("chat_sessions", 3, "wrap_seconds: negative: -1.0"),
    ]
    assert query(wh, "select contact_id, queue_id from raw.acd_contacts order by 1") == [
        ("c00001", "Q 1"),
        ("c00003", "Q1"),
        ("c00007", "Q1"),
    ]
    assert query(wh, "select count(*) from raw.chat_sessions") == [(0,)]
