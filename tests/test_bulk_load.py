"""The bulk load: the canonical CSV files of one entity are read in one DuckDB scan.

Every rule of the one-file-at-a-time loader must still hold, so the main check loads the same
landing both ways (a scan of many files, and `SCAN_FILES = 1`, which makes every file its own
load) and compares every raw table, the quarantine and the manifest. The landing is a small
generated centre with hand-made faults whose expected effect is stated next to each.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from cxmart.connectors import loader as loader_module
from cxmart.connectors import schema
from cxmart.generator import generate

from conftest import TEST_KEY, csv_text, load, query, write

ACD = "acd_contacts"
LON1, LON2, NYC1 = (
    f"{ACD}/{ACD}_LON_2026-03-01.csv",
    f"{ACD}/{ACD}_LON_2026-03-02.csv",
    f"{ACD}/{ACD}_NYC_2026-03-01.csv",
)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


@pytest.fixture(scope="module")
def centre(tmp_path_factory) -> Path:
    """Three days of a 6-agent, 2-site centre with faults in the acd_contacts files."""
    landing = tmp_path_factory.mktemp("bulk") / "landing"
    generate(landing, days=3, agents=6, sites=2, seed=3)
    lon1, lon2, nyc1 = landing / LON1, landing / LON2, landing / NYC1
    # LON day 1: line 3 loses its last 5 columns (malformed CSV row), line 5 gets a
    # non-numeric wait (a typing error); both quarantined with those lines, the rest loads.
    rows = _lines(lon1)
    rows[2] = ",".join(rows[2].split(",")[:-5]) + "\n"
    cells = rows[4].split(",")
    cells[13] = "soon"  # wait_seconds
    rows[4] = ",".join(cells)
    # ... and its line 7 repeats line 6's key (contact_id, segment_id): the first row wins.
    rows.insert(6, rows[5])
    lon1.write_text("".join(rows))
    # LON day 2 re-sends LON day 1's second call (line 2 there) with a longer talk time: the
    # later file's row replaces it, as when the files are loaded one after the other.
    cells = rows[1].split(",")
    cells[14] = "999"  # talk_seconds
    lon2.write_text("".join(_lines(lon2)) + ",".join(cells))
    # NYC day 1 is also landed under another name, byte for byte: a duplicate export.
    shutil.copy(nyc1, nyc1.with_name(nyc1.name.replace(".csv", "_copy.csv")))
    return landing


def _state(warehouse: Path) -> dict[str, list[tuple]]:
    """Everything a load writes, without its clock columns, in a fixed order."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for e in schema.ENTITIES:
            out[e.name] = con.execute(
                f"select * exclude (_loaded_at) from raw.{e.name} order by all"
            ).fetchall()
        out["_quarantine"] = con.execute(
            "select * exclude (quarantined_at) from raw._quarantine order by all"
        ).fetchall()
        out["_manifest"] = con.execute(
            "select * exclude (loaded_at) from raw._load_manifest order by all"
        ).fetchall()
        return out
    finally:
        con.close()


def _both_ways(landing: Path, tmp: Path, monkeypatch) -> tuple[dict, dict]:
    scanned = tmp / "scanned.duckdb"
    load(landing, scanned)
    with monkeypatch.context() as m:
        m.setattr(loader_module, "SCAN_FILES", 1)
        one_by_one = tmp / "one_by_one.duckdb"
        load(landing, one_by_one)
    return _state(scanned), _state(one_by_one)


def test_a_scan_of_many_files_writes_what_loading_them_one_by_one_writes(centre, tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    shutil.copytree(centre, landing)
    scanned, one_by_one = _both_ways(landing, tmp_path, monkeypatch)
    assert scanned == one_by_one
    # The faults, as worked out above.
    quarantine = {(Path(r[2]).name, r[3]): r[4] for r in scanned["_quarantine"]}
    lon1 = Path(LON1).name
    assert set(quarantine) == {(lon1, 3), (lon1, 5), (lon1, 7)}
    assert quarantine[(lon1, 3)].startswith("malformed CSV row")
    assert quarantine[(lon1, 5)].startswith("wait_seconds: not a number: soon")
    assert quarantine[(lon1, 7)].startswith("duplicate primary key (contact_id, segment_id)")
    second_call = _lines(centre / LON1)[1].split(",")[0]
    sql = "select contact_id, talk_seconds, _row from raw.acd_contacts where contact_id = ?"
    talk = query(tmp_path / "scanned.duckdb", sql, [second_call])
    n_lon2 = len(_lines(centre / LON2))  # the re-sent row is the last line: record n_lon2 - 1
    assert talk == [(second_call, 999, n_lon2 - 1)]
    statuses = {Path(r[2]).name: r[5] for r in scanned["_manifest"]}
    assert statuses[Path(NYC1).name.replace(".csv", "_copy.csv")] == "duplicate"
    assert {s for n, s in statuses.items() if "_copy" not in n} == {"loaded"}
    # Nothing of the landing was lost: every good acd row of the six files is in raw.
    generated = sum(len(_lines(p)) - 1 for p in (landing / ACD).glob("*.csv") if "_copy" not in p.name)
    # minus the 3 quarantined lines, minus the re-sent row that replaced its first copy
    assert len(scanned[ACD]) == generated - 3 - 1


def test_a_corrected_re_export_of_some_days_replaces_them_the_same_way(centre, tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    shutil.copytree(centre, landing)
    scanned, one_by_one = tmp_path / "scanned.duckdb", tmp_path / "one_by_one.duckdb"
    load(landing, scanned)
    with monkeypatch.context() as m:
        m.setattr(loader_module, "SCAN_FILES", 1)
        load(landing, one_by_one)
    # Two days are exported again: LON day 2 without its last two calls, NYC day 1 unchanged
    # but for one call's offered_at left empty (now quarantined: offered_at is required).
    lon2 = landing / LON2
    rows = _lines(lon2)
    lon2.write_text("".join(rows[:-2]))
    nyc1 = landing / NYC1
    rows = _lines(nyc1)
    cells = rows[1].split(",")
    cells[8] = ""
    rows[1] = ",".join(cells)
    nyc1.write_text("".join(rows))
    report = load(landing, scanned)
    with monkeypatch.context() as m:
        m.setattr(loader_module, "SCAN_FILES", 1)
        load(landing, one_by_one)
    assert _state(scanned) == _state(one_by_one)
    changed = {Path(f.path).name: f.status for f in report.files if f.status != "unchanged"}
    assert changed == {Path(LON2).name: "replaced", Path(NYC1).name: "replaced"}
    manifest = query(
        scanned,
        "select path, status from raw._load_manifest where path like '%acd_contacts_LON_2026-03-02.csv'",
    )
    assert sorted(s for _, s in manifest) == ["loaded", "replaced"]
    assert query(
        scanned, "select line, reason from raw._quarantine where path like '%NYC_2026-03-01.csv'"
    ) == [(2, "offered_at: required value missing")]


def _calls(n: int, prefix: str = "c") -> list[dict]:
    return [
        {
            "contact_id": f"{prefix}{i}", "segment_id": 1, "site_id": "LON", "program_id": "P",
            "queue_id": "Q", "channel": "voice", "direction": "inbound",
            "offered_at": "2026-03-01T09:00:00+00:00", "ended_at": "2026-03-01T09:01:00+00:00",
            "abandoned": "true", "outcome": "abandoned", "wait_seconds": 60,
        }
        for i in range(n)
    ]  # fmt: skip


def test_a_truncated_gzip_between_good_files_is_rejected_by_name_before_the_scan(home):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    text = csv_text(ACD, _calls(2000)).encode()
    write(landing, ACD, "a_2026-03-01.csv", csv_text(ACD, _calls(3)))
    # The header survives; the rest of the stream is cut (the whole stream is checked first).
    write(landing, ACD, "b_2026-03-01.csv.gz", gzip.compress(text)[: len(gzip.compress(text)) // 2])
    write(landing, ACD, "c_2026-03-01.csv", csv_text(ACD, _calls(4, "d")))
    report = load(landing, wh)
    assert [(Path(f.path).name, f.status) for f in report.files] == [
        ("a_2026-03-01.csv", "loaded"), ("b_2026-03-01.csv.gz", "rejected"), ("c_2026-03-01.csv", "loaded"),
    ]  # fmt: skip
    assert report.rejected[0].message.startswith(str(landing / ACD / "b_2026-03-01.csv.gz") + ": rejected, ")
    assert query(wh, "select count(*) from raw.acd_contacts") == [(3 + 4,)]


class _VanishingLoader(loader_module.Loader):
    """A landing being cleaned up while it loads: file b goes away after its header was checked."""

    def _csv_names(self, path: str) -> list[str]:
        names = super()._csv_names(path)
        if path.endswith("b_2026-03-01.csv"):
            Path(path).unlink()
        return names


def test_a_file_the_scan_cannot_read_rolls_the_scan_back_and_only_that_file_is_rejected(home, caplog):
    landing, wh = home / "landing", home / "warehouse.duckdb"
    write(landing, ACD, "a_2026-03-01.csv", csv_text(ACD, _calls(3)))
    write(landing, ACD, "b_2026-03-01.csv", csv_text(ACD, _calls(5, "b")))
    write(landing, ACD, "c_2026-03-01.csv", csv_text(ACD, _calls(4, "d")))
    con = duckdb.connect(str(wh))
    try:
        report = _VanishingLoader(con, str(landing), TEST_KEY).load_all()
    finally:
        con.close()
    # DuckDB failed on b inside the shared scan, which was rolled back; loaded one by one,
    # a and c land and b is rejected by name.
    assert "3 files could not be read in one scan" in caplog.text
    assert [(Path(f.path).name, f.status) for f in report.files] == [
        ("a_2026-03-01.csv", "loaded"), ("b_2026-03-01.csv", "rejected"), ("c_2026-03-01.csv", "loaded"),
    ]  # fmt: skip
    assert report.rejected[0].message.startswith(str(landing / ACD / "b_2026-03-01.csv") + ": rejected, ")
    assert query(wh, "select count(*) from raw.acd_contacts") == [(3 + 4,)]
    assert query(wh, "select count(*) from raw._load_manifest where status = 'loaded'") == [(2,)]
