"""`cxmart score` and `cxmart report` on a hand-made published mart (tests/scorecard_fixture.py):
the terminal scorecard, the HTML report's content and escaping, reading only the published mart,
clear errors, and a real headless Chromium rendering the report (screenshot + DOM)."""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cxmart import cli, pipeline, publish, report, scorecard
from cxmart.config import Settings

from scorecard_fixture import (
    ITEMS,
    MNL_50,
    MNL_75,
    MNL_TOTAL,
    STATUS,
    publish_scorecard_mart,
    write_scoring_tables,
)

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory, monkeypatch_module) -> Path:
    h = tmp_path_factory.mktemp("scorecard") / "home"
    publish_scorecard_mart(h)
    return h


@pytest.fixture(scope="module", autouse=True)
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    for var in ("CXMART_HOME", "CXMART_WAREHOUSE", "CXMART_MART", "CXMART_REPORTS"):
        mp.delenv(var, raising=False)
    yield mp
    mp.undo()


@pytest.fixture(autouse=True)
def wide_console():
    """Rich sizes the console once, at import (80 columns without a terminal): make it wide so
    table rows do not wrap."""
    old = cli.console._width
    cli.console.width = 200
    yield
    cli.console._width = old


def score(*args: str):
    return runner.invoke(cli.app, ["score", *args])


def esc(text: str) -> str:
    """As the report writes a text (html.escape)."""
    return html.escape(text)


# -- cxmart score --------------------------------------------------------------------------------


def test_score_prints_the_verdict_and_failed_conditions_before_the_items(home):
    res = score("--home", str(home))
    assert res.exit_code == 0, res.output
    out = res.output
    assert "NOT YET CERTIFIED" in out
    # the organisation passes on points (2,020 >= 1,938) but site MNL fails the 50/75 rule
    assert "points 2,020 of 2,040 (99.0%); needed 1,938" in out
    assert MNL_50 in out and MNL_75 in out
    assert out.index(MNL_50) < out.index("human-assisted channels")
    assert "trend rule: regression" in out
    assert "met 70.0% (> 65%), met or improving 80.0% (> 75%): yes" in out
    # a table per scope: organisation first, then each site
    org, lon, mnl = (out.index(t) for t in ("Organisation: 2,020", "Site LON: 2,000", "Site MNL: 887.5"))
    assert org < lon < mnl
    # item rows with M%, I%, score% and points; the 4.3 type parts indented under their item
    assert re.search(r"4\.3\s*│ human-assisted channels\s*│\s*0\.0% │\s*25\.0% │\s*8\.3% │  33\.3 / 400", out)
    assert re.search(r"│\s+│   efficiency metrics\s*│\s*0\.0% │\s*50\.0% │\s*25\.0% │\s*│", out)
    assert "50 rule (M ≥ 50%)" in out
    assert "standard review (approach 100%, deployment 50%)" in out
    # MNL's own failed conditions (its points too) follow its table
    assert out.index(MNL_TOTAL) > mnl


def test_score_for_one_site_and_as_json(home):
    res = score("--home", str(home), "--site", "MNL")
    assert res.exit_code == 0, res.output
    assert "Site MNL" in res.output and "Site LON" not in res.output
    assert "short 1,012.5" in res.output

    res = score("--home", str(home), "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [(s["scope_level"], s["scope_id"]) for s in data["scopes"]] == [
        ("organisation", "organisation"),
        ("site", "LON"),
        ("site", "MNL"),
    ]
    org = data["scopes"][0]
    assert org["certified"] is False and org["failed_conditions"] == [MNL_50, MNL_75]
    assert org["scoring_month"] == "2026-08-01"
    assert len(org["items"]) == len(ITEMS["organisation"])
    # the organisation's own metrics and those of program P01 below it
    assert {(m["unit_id"], m["metric_id"]) for m in org["metrics"]} == {
        (unit, metric) for unit in ("organisation", "P01") for metric in STATUS[unit]
    }
    assert all(len(m["months"]) == 12 for m in org["metrics"])

    res = score("--home", str(home), "--site", "PAR")
    assert res.exit_code == 1
    assert "no site 'PAR'" in res.output and "sites: LON, MNL" in res.output


def test_score_without_a_published_mart_names_the_file(tmp_path):
    res = score("--home", str(tmp_path))
    assert res.exit_code == 1
    assert f"no published mart at {tmp_path / 'mart.duckdb'}" in " ".join(res.output.split())


def test_score_on_a_mart_without_scoring_tables_names_the_file(tmp_path):
    settings = Settings.resolve(home=tmp_path)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("create schema mart; create table mart.metric_values as select 1 as value")
    con.close()
    publish.publish(settings, "no-scoring")
    res = score("--home", str(tmp_path))
    assert res.exit_code == 1
    msg = " ".join(res.output.split())
    assert f"the published mart {settings.mart} has no scoring tables" in msg
    assert "mart.scorecard_summary" in msg
    res = runner.invoke(cli.app, ["report", "--home", str(tmp_path)])
    assert res.exit_code == 1 and "no scoring tables" in res.output
    assert not (tmp_path / "reports" / "scorecard.html").exists()


def test_run_and_demo_end_with_the_short_scorecard_and_the_report(home, capsys):
    cli._report_after_publish(Settings.resolve(home=home))
    out = capsys.readouterr().out
    assert "NOT YET CERTIFIED" in out and "Scopes" in out and MNL_50 in out
    assert "human-assisted channels" not in out  # short form: no item tables
    assert f"report: {home / 'reports' / 'scorecard-2026-08.html'}" in " ".join(out.split())


def test_run_without_scoring_tables_notes_it_and_goes_on(tmp_path, capsys):
    settings = Settings.resolve(home=tmp_path)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("create schema mart; create table mart.metric_values as select 1 as value")
    con.close()
    publish.publish(settings, "no-scoring")
    cli._report_after_publish(settings)
    assert "note: no scorecard: the published mart" in " ".join(capsys.readouterr().out.split())


# -- cxmart report ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(home):
    res = runner.invoke(cli.app, ["report", "--home", str(home)])
    assert res.exit_code == 0, res.output
    dated = home / "reports" / "scorecard-2026-08.html"
    assert str(dated) in " ".join(res.output.split())
    return dated


def test_report_is_one_self_contained_file_and_the_latest_copy(home, written):
    page = written.read_text()
    assert (home / "reports" / "scorecard.html").read_text() == page
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    # no external fetch: the only URL is the SVG namespace
    assert set(re.findall(r"https?://[^\s\"')]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "src=" not in page


def test_report_shows_verdict_conditions_items_and_charts(written):
    page = written.read_text()
    top = page[: page.index('id="scopes"')]
    assert "Not yet certified" in top and esc(MNL_50) in top and esc(MNL_75) in top
    assert "2,020</strong> of 2,040 points" in top
    assert 'Metrics meeting target (&gt; 65%)</td><td class="v">70.0%' in top
    # one item row per item and scope, parts marked as parts; a bar per row
    n_items = sum(1 for rows in ITEMS.values() for r in rows if r[1] == "item")
    n_parts = sum(1 for rows in ITEMS.values() for r in rows if r[1] != "item")
    assert len(re.findall(r'<tr class="item', page)) == n_items
    assert len(re.findall(r'<tr class="part', page)) == n_parts
    assert len(re.findall(r'class="bar-i ', page)) == n_items + n_parts
    assert 'style="width:8.3%"' in page  # 4.3 of site MNL
    # one chart per metric and scope
    n_metrics = sum(len(s) for s in STATUS.values())
    assert len(re.findall(r'<tr class="metric"', page)) == n_metrics
    assert len(re.findall(r'<svg class="spark"', page)) == n_metrics
    assert page.count('class="flag improving"') == 4  # org SL, LON occupancy, MNL AHT and adherence
    assert page.count('class="flag prov"') == 1  # MNL uptime: 5 months of data
    assert "Trend rule:</strong> regression: ordinary least squares slope" in page


def test_sparkline_marks_targets_bands_and_not_countable_months(home):
    card = scorecard.load(Settings.resolve(home=home))
    by = {(m.unit_id, m.metric_id): m for m in card.metrics}

    lon_csat = report.sparkline(by[("LON", "csat_top2")])
    assert lon_csat.count('<circle class="pt"') == 12
    assert lon_csat.count('<rect class="nc"') == 1  # Feb 2026, not_indicative
    assert "Feb 2026: 0.832 (target ≥ 0.8): not countable (not_indicative)" in lon_csat
    assert 'fill="#ffffff"' in lon_csat  # its point is hollow

    # the target changed in March 2026: the dashed line steps from 0.80 to 0.85
    sl = report.sparkline(by[("organisation", "voice_service_level")])
    d = re.search(r'<path class="target" d="([^"]+)"', sl).group(1)
    assert len({y for y in re.findall(r",([\d.]+)", d)}) == 2
    assert "Aug 2026: 0.867 (target ≥ 0.85): met" in sl and "Sep 2025: 0.728 (target ≥ 0.8): not met" in sl

    occ = report.sparkline(by[("organisation", "occupancy")])
    assert occ.count('<rect class="band"') == 12 and '<path class="target"' not in occ
    assert "(target 0.75–0.85): not met" in occ

    # five months of data in a twelve-month period: seven months ticked as without data
    up = report.sparkline(by[("MNL", "system_uptime")])
    assert up.count('<circle class="pt"') == 5 and up.count('class="nodata"') == 7


def test_report_escapes_every_text_from_the_mart(tmp_path):
    settings = Settings.resolve(home=tmp_path)
    con = duckdb.connect(str(settings.warehouse))
    write_scoring_tables(con)
    con.execute(
        "update mart.scorecard_summary set failed_conditions = ['site <b>MNL</b> & \"co\"'] "
        "where scope_level = 'organisation'"
    )
    con.execute("update mart.metric_period_status set metric_name = '<script>x</script>'")
    con.execute("update mart.metric_status set metric_name = '<script>x</script>'")
    con.close()
    publish.publish(settings, "escape")
    page = pipeline.report(settings).path.read_text()
    assert "<b>MNL</b>" not in page and "site &lt;b&gt;MNL&lt;/b&gt; &amp; &#34;co&#34;" in page
    assert "<script" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_report_reads_only_the_published_mart(tmp_path):
    settings = publish_scorecard_mart(tmp_path / "home")
    # the working warehouse changes after publication (e.g. a build whose gate then failed):
    con = duckdb.connect(str(settings.warehouse))
    con.execute("update mart.scorecard_summary set certified = true, failed_conditions = []")
    con.close()
    page = pipeline.report(settings).path.read_text()
    assert "Not yet certified" in page and esc(MNL_50) in page
    settings.warehouse.unlink()
    assert pipeline.report(settings).latest.is_file()


# -- a real browser --------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (tests/check.py installs it when root)"
)


def chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp / 'profile'}",
            "--window-size=1280,2000",
            *args,
        ],
        capture_output=True,
        text=False,
        timeout=120,
    )


def png_rows(data: bytes, rows: int) -> tuple[int, int, list[list[tuple]]]:
    """Width, height and the first `rows` rows of pixels of an 8-bit RGB/RGBA PNG (pure Python)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompressobj().decompress(idat, (width * bpp + 1) * rows)
    stride, prev, out = width * bpp, bytearray(width * bpp), []
    for r in range(rows):
        ftype, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)])
        for i in range(stride if ftype else 0):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append([tuple(line[i : i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return width, height, out


@needs_chromium
def test_chromium_renders_the_report(written, tmp_path):
    png = tmp_path / "scorecard.png"
    res = chromium(f"--screenshot={png}", written.as_uri(), tmp=tmp_path)
    assert res.returncode == 0 and png.is_file(), res.stderr.decode(errors="replace")[-2000:]
    data = png.read_bytes()
    assert len(data) > 50_000  # a page of text, tables and charts, not an empty canvas
    width, height, rows = png_rows(data, 700)
    assert (width, height) == (1280, 2000)
    pixels = Counter(px for row in rows for px in row)
    assert len(pixels) > 100, "the screenshot is (nearly) blank"
    assert pixels.most_common(1)[0][1] < 0.8 * sum(pixels.values())
    # the stylesheet applied: the navy header band and the red verdict border are painted
    assert pixels[(0x14, 0x32, 0x5C)] > 1000
    assert pixels[(0xC6, 0x28, 0x28)] > 500

    dom = chromium("--dump-dom", written.as_uri(), tmp=tmp_path).stdout.decode()
    assert "Not yet certified" in dom and esc(MNL_50) in dom
    for scope, rows_ in ITEMS.items():
        for item, part, *_ in rows_:
            if part == "item":
                assert re.search(rf"<td>{re.escape(item)}</td>", dom), (scope, item)
    n_metrics = sum(len(s) for s in STATUS.values())
    assert len(re.findall(r'<tr class="metric"', dom)) == n_metrics
    assert len(re.findall(r"<svg class=\"spark\"", dom)) == n_metrics
