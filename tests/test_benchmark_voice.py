"""The benchmark's side by side is a correctness claim: its hand-written DuckDB query (limit), its
pandas groupby and cxmart's voice models give the same daily site x queue voice numbers
(benchmarks/voice_ways.py, used by benchmarks/run.py). Checked on a small generated centre around
New York's change to summer time, with hand-made edge rows: a queue missing from the reference data
(documented defaults), the answered_only formula, a wait taken from the timestamps, an outbound
call, a missing direction, calls either side of a local midnight."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from cxmart import pipeline
from cxmart.config import Settings
from cxmart.generator import generate

from conftest import TEST_KEY, csv_text, write

_spec = importlib.util.spec_from_file_location(
    "voice_ways", Path(__file__).resolve().parents[1] / "benchmarks" / "voice_ways.py"
)
voice_ways = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(voice_ways)

EDGE = "NYC-EDGE-VOICE"  # answered_only, service level and short-abandon thresholds left empty
GHOST = "NYC-GHOST-VOICE"  # not in the queues export at all


def _call(cid: str, queue: str, offered: str, outcome: str, wait: int | None, **more) -> dict:
    at = dt.datetime.fromisoformat(offered)
    waited = at + dt.timedelta(seconds=more.pop("elapsed", wait or 0))
    row = {
        "contact_id": cid,
        "segment_id": "1",
        "site_id": "NYC",
        "program_id": "RETAIL",
        "queue_id": queue,
        "channel": "voice",
        "direction": "inbound",
        "customer_key": f"cust-{cid}",
        "offered_at": at.isoformat(),
        "ended_at": (waited + dt.timedelta(seconds=90)).isoformat(),
        "abandoned": "true" if outcome == "abandoned" else "false",
        "outcome": outcome,
        "wait_seconds": "" if wait is None else str(wait),
    }
    if outcome in ("answered", "transfer"):
        row |= {"answered_at": waited.isoformat(), "talk_seconds": "80", "agent_id": "A0001"}
    row.update(more)
    return row


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    home = tmp_path_factory.mktemp("voice") / "home"
    landing = home / "landing"
    # 2026-03-08 07:00 UTC: New York moves from UTC-5 to UTC-4
    generate(landing, days=3, agents=8, sites=2, seed=5, start=dt.date(2026, 3, 7))
    with open(landing / "queues" / "queues.csv", "a") as f:
        f.write(f"{EDGE},NYC,RETAIL,voice,,,answered_only,,CAL-NYC,\n")
    rows = [
        _call("E1", EDGE, "2026-03-08T04:30:00+00:00", "answered", 10),  # 23:30 on 7 March in New York
        _call("E2", EDGE, "2026-03-09T04:30:00+00:00", "abandoned", 3),  # 00:30 on 9 March (EDT)
        _call("E3", EDGE, "2026-03-09T05:00:00+00:00", "answered", None, elapsed=25),  # wait from times
        _call("E4", EDGE, "2026-03-09T06:00:00+00:00", "answered", 2, direction="outbound"),
        _call("E5", EDGE, "2026-03-09T15:00:00+00:00", "transfer", 5, direction="", transferred_to_queue="X"),
        _call("G1", GHOST, "2026-03-08T15:00:00+00:00", "abandoned", 4),  # short under the default 5 s
        _call("G2", GHOST, "2026-03-08T15:05:00+00:00", "abandoned", 7),
        _call("G3", GHOST, "2026-03-08T15:10:00+00:00", "callback", 10),
        _call("G4", GHOST, "2026-03-08T15:20:00+00:00", "answered", 20),  # at exactly T: within
    ]
    write(landing, "acd_contacts", "acd_contacts_EDGE_2026-03-08.csv", csv_text("acd_contacts", rows))
    settings = Settings.resolve(home=home)
    report = pipeline.load(settings, TEST_KEY)
    assert not report.rejected and report.quarantined == 0
    voice_ways.build_voice_models(settings)
    con = settings.connect(read_only=True)
    yield con
    con.close()


def test_limit_pandas_and_the_voice_models_give_identical_numbers(warehouse):
    ways = {
        "cxmart": voice_ways.with_sites(voice_ways.cxmart_unit_days(warehouse), warehouse),
        "limit": voice_ways.limit(warehouse),
        "pandas": voice_ways.pandas_way(warehouse),
    }
    result = voice_ways.compare(ways)
    assert result["identical"], result
    assert len(ways["cxmart"]) >= 15  # every voice queue of both sites, most days, and the two edge queues

    by_key = ways["limit"].set_index(voice_ways.KEY)
    edge_7 = by_key.loc[("NYC", EDGE, "2026-03-07")]
    assert (edge_7["offered"], edge_7["answered"], edge_7["service_level"]) == (1, 1, 1.0)
    edge_9 = by_key.loc[("NYC", EDGE, "2026-03-09")]
    # E2 (short abandon), E3 (25 s > 20 s) and E5 (no direction: inbound); E4 is outbound
    assert (edge_9["offered"], edge_9["answered"], edge_9["short_abandoned"]) == (3, 2, 1)
    assert (edge_9["sl_numerator"], edge_9["sl_denominator"]) == (1, 2)  # answered_only
    assert edge_9["asa"] == 15.0
    ghost = by_key.loc[("NYC", GHOST, "2026-03-08")]
    assert (ghost["offered"], ghost["abandoned"], ghost["short_abandoned"]) == (4, 2, 1)
    assert (ghost["sl_numerator"], ghost["sl_denominator"], ghost["abandon_rate"]) == (1, 3, 1 / 3)


def test_compare_names_a_difference(warehouse):
    limit = voice_ways.limit(warehouse)
    off = limit.copy()
    row = off["asa"].first_valid_index()
    off.loc[row, "asa"] += 1e-9
    off = off.drop(index=row + 1 if row + 1 < len(off) else row - 1)
    result = voice_ways.compare({"cxmart": limit, "pandas": off})
    assert not result["identical"]
    against = result["against"]["pandas"]
    assert against["rows_only_in_cxmart"] == 1
    assert against["differing_columns"]["asa"]["rows"] == 1
