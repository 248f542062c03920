"""Benchmark: the whole pipeline at a preset size, stage by stage (wall time, peak RSS), for the full
build and the nightly increment, with voice metrics and loading set side by side against their
limits (issue 12).

Not a test. Run from the repository root:

    .venv/bin/python benchmarks/run.py --preset S [--seed 7] [--repeat 1]

Presets: S is the demo (`cxmart demo`: 60 CSS, 184 days, 2 sites), M 300 CSS x 90 days (2 sites),
L 1,000 CSS x 365 days (3 sites), XS 10 CSS x 7 days (a try-out of the harness); all from
2026-03-01. The centre is generated once per preset and seed, one day longer than the preset, and
cached (`$CXMART_BENCH_CACHE/<preset>-<seed>/`, by default under `~/.cache/cxmart-bench/`;
regenerated when cxmart/generator.py changes); the scratch homes go to `work/` beside it and are
removed at the end unless `--keep`.

Each repetition, in a fresh home:
1. full build: the pipeline's stage functions (`cxmart.pipeline`: load, raw gate, dbt build, mart
   gate, publish; `cxmart.scorecard.load` as `cxmart score`; `pipeline.report`) keyed by the night
   of the preset's days, so the last generated day's files are held back;
2. side by side on the same raw data: the daily site x queue voice metrics (offered, answered,
   abandoned, short abandons, service level, ASA, abandon rate) from one hand-written DuckDB query
   (limit), a pandas groupby (pandas) and the dbt models (cxmart: `dbt run --select
   +int_voice__unit_days --full-refresh`, then reading the voice day model), asserted identical to
   each other and to mart.metric_values (benchmarks/voice_ways.py); and the loader's time against one bare
   `read_csv` per entity of the files it loaded (bare scan);
3. the nightly increment: the same stages keyed by the next night, on top of the full build.

Every stage runs in its own child process (`--child`, this file), so its peak RSS (VmHWM on Linux,
ru_maxrss elsewhere) is its own: DuckDB and dbt run in process. A stage's time is measured in the
child from before it imports cxmart to the stage's end: the imports a first call in a fresh process
pays (dbt's and GX's included), not the interpreter's start. The side by side times the work alone
(Python imports of pandas, DuckDB and dbt's modules done first; dbt's own start-up and parse count)
and shows the time with imports beside it. With `--repeat N` times are medians of N, peak RSS the
largest. Prints Markdown tables and the goals of issue 12 with the measured figure and pass or fail
(goals set for preset L are shown, not judged, at the other presets); writes
`benchmarks/results/<preset>-<date>.json` with the machine (cores, memory, load) and versions.
DuckDB settings come from CXMART_DUCKDB_* as in any run (README "Configuration"). Exit 1 when the
three voice computations disagree, or a stage fails (its output is in the work folder's stages.log).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
KEY = "benchmark-key-0123456789"
START = dt.date(2026, 3, 1)
PRESETS = {
    "S": {"agents": 60, "days": 184, "sites": 2},  # the demo (cxmart demo's defaults)
    "M": {"agents": 300, "days": 90, "sites": 2},
    "L": {"agents": 1000, "days": 365, "sites": 3},
    "XS": {"agents": 10, "days": 7, "sites": 2},  # a try-out of the harness itself, a few minutes
}
STAGES = ["load", "raw_gate", "dbt_build", "mart_gate", "publish", "score", "report"]
GATES = ["raw_gate", "mart_gate"]
WAYS = ["limit", "pandas", "cxmart"]
GIB = 1024  # MiB
FIGURES = (("seconds", 1), ("cpu_seconds", 1), ("peak_rss_mib", 0))  # a stage's row: key, decimals


# -- the child: one stage in its own process ------------------------------------------------------


def _peak_rss_mib() -> float:
    """This process's peak resident memory, in MiB: VmHWM on Linux, else ru_maxrss.

    Not ru_maxrss on Linux: at exec the kernel carries the forking process's high-water mark over
    into the child's, so every stage would report at least the harness's own memory."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    scale = 1 / 2**20 if sys.platform == "darwin" else 1 / 1024  # bytes on macOS, KiB elsewhere
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale, 1)


def _night(p: dict):
    from cxmart.night import Night

    return Night(dt.date.fromisoformat(p["night"][0]), dt.date.fromisoformat(p["night"][1]))


def child(job: str, home: Path, p: dict) -> dict:
    """Run one job; return what it measured and found (printed as one JSON line)."""
    t0 = time.perf_counter()
    if job == "generate":
        from cxmart.generator import generate

        counts = generate(
            Path(p["out"]),
            days=p["days"],
            agents=p["agents"],
            sites=p["sites"],
            seed=p["seed"],
            start=dt.date.fromisoformat(p["start"]),
        )
        return {"seconds": time.perf_counter() - t0, "rows": sum(counts.values())}

    from cxmart import pipeline
    from cxmart.config import Settings

    if job.startswith("voice_"):
        # the side by side times the work, not Python's imports (dbt's own start-up is work)
        import pandas  # noqa: F401
        import voice_ways

        if job == "voice_cxmart":
            from dbt.cli.main import dbtRunner  # noqa: F401
    settings = Settings.resolve(home=home)
    t1 = time.perf_counter()  # the imports this job needs are done (stages import more as they go)
    out: dict = {}
    if job == "load":
        report = pipeline.load(settings, KEY, night=_night(p))
        out = {
            "files": len(report.files),
            "rows": sum(f.rows for f in report.files),
            "quarantined": report.quarantined,
            "rejected": len(report.rejected),
            "held_back": len(report.later),
        }
    elif job in GATES:
        if job == "raw_gate":
            gate = pipeline.raw_gate(settings, p["run_id"], _night(p))
        else:
            gate = pipeline.mart_gate(settings, p["run_id"])
        out = {"success": gate.success, "failures": len(gate.failures), "blocking": len(gate.blocking)}
    elif job == "dbt_build":
        summary = pipeline.build(settings)
        out = {"success": summary.success, "counts": summary.counts, "failures": summary.failures[:5]}
    elif job == "publish":
        pub = pipeline.publish_mart(settings, p["run_id"])
        out = {"tables": len(pub.tables)}
    elif job == "score":
        from cxmart import scorecard

        try:
            card = scorecard.load(settings)
            out = {"certified": bool(card.headline.certified)}
        except scorecard.ScorecardUnavailable as exc:
            out = {"unavailable": str(exc)}
    elif job == "report":
        from cxmart import scorecard

        try:
            out = {"path": str(pipeline.report(settings).latest)}
        except scorecard.ScorecardUnavailable as exc:
            out = {"unavailable": str(exc)}
    elif job.startswith("voice_"):
        way = job.removeprefix("voice_")
        if way == "cxmart":
            out = voice_ways.build_voice_models(settings)
        con = settings.connect(read_only=True)
        try:
            frame = {"limit": voice_ways.limit, "pandas": voice_ways.pandas_way}.get(
                way, voice_ways.cxmart_unit_days
            )(con)
        finally:
            con.close()
        t2 = time.perf_counter()
        frame.to_parquet(p["out"])
        return {"seconds": t2 - t0, "work_seconds": t2 - t1, "rows": len(frame), **out}
    elif job == "bare_scan":
        out = bare_scan(settings, Path(p["out"]))
    else:
        raise SystemExit(f"unknown job {job}")
    t2 = time.perf_counter()
    return {"seconds": t2 - t0, "work_seconds": t2 - t1, **out}


def bare_scan(settings, target: Path) -> dict:
    """The loader's limit: the files it loaded, one DuckDB `read_csv` per entity into a table of a
    new database (types sniffed, nothing checked, hashed or recorded), with the same DuckDB settings."""
    import duckdb

    con = settings.connect(read_only=True)
    try:
        files = con.execute(
            "select entity, list(path order by path) from raw._load_manifest "
            "where status = 'loaded' group by 1"
        ).fetchall()
    finally:
        con.close()
    target.unlink(missing_ok=True)
    out = duckdb.connect(str(target))
    rows, skipped = 0, 0
    try:
        settings.duckdb.apply(out)
        for entity, paths in files:
            csvs = [p for p in paths if p.endswith((".csv", ".csv.gz"))]
            skipped += len(paths) - len(csvs)
            if csvs:
                scan = f"create table {entity} as select * from read_csv(?, header = true"
                try:  # an entity's files share one header; only when they do not, match columns by name
                    out.execute(scan + ")", [csvs])
                except duckdb.Error:
                    out.execute(f"drop table if exists {entity}")
                    out.execute(scan + ", union_by_name = true)", [csvs])
                rows += out.execute(f"select count(*) from {entity}").fetchone()[0]
    finally:
        out.close()
        target.unlink(missing_ok=True)
    return {"rows": rows, "files_not_csv": skipped}


# -- the parent -----------------------------------------------------------------------------------


class StageError(Exception):
    pass


def run_child(job: str, home: Path, params: dict, log: Path) -> dict:
    """One job in a fresh interpreter; its JSON result with peak RSS and the process's own wall time."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CXMART_") or k.startswith("CXMART_DUCKDB_")
    }
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    cmd = [sys.executable, __file__, "--child", job, "--home", str(home), "--params", json.dumps(params)]
    t0 = time.perf_counter()
    with open(log, "a") as err:
        err.write(f"\n== {job} {params}\n")
        err.flush()
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise StageError(f"{job} failed (exit {res.returncode}); see {log}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["process_seconds"] = wall
    if out.get("success") is False:
        # a gate that failed or a dbt build that did not succeed: the pipeline would stop here and
        # publish nothing, so the figures after it would measure a broken run
        raise StageError(f"{job} did not succeed: {out.get('failures')}; see {log}")
    return out


def bench_root() -> Path:
    base = os.environ.get("CXMART_BENCH_CACHE")
    return Path(base).expanduser() if base else Path.home() / ".cache" / "cxmart-bench"


def cache_root(preset: str, seed: int) -> Path:
    return bench_root() / f"{preset}-{seed}"


def generator_sha() -> str:
    return hashlib.sha256((ROOT / "cxmart" / "generator.py").read_bytes()).hexdigest()[:16]


def generated_landing(preset: str, seed: int, log: Path) -> tuple[Path, dict]:
    """The preset's centre, one day longer than the preset (the nightly increment's day), generated
    once per preset, seed and generator version."""
    cache = cache_root(preset, seed)
    landing, meta_file = cache / "landing", cache / "generated.json"
    params = {**PRESETS[preset], "seed": seed, "start": START.isoformat()}
    params["days"] += 1
    sha = generator_sha()
    if meta_file.is_file() and landing.is_dir():
        meta = json.loads(meta_file.read_text())
        if meta.get("params") == params and meta.get("generator_sha") == sha:
            return landing, {**meta, "cached": True}
    shutil.rmtree(landing, ignore_errors=True)
    meta_file.unlink(missing_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / "landing.partial"
    shutil.rmtree(partial, ignore_errors=True)
    print(f"generating preset {preset} (seed {seed}, {params['days']} days) into {cache} ...", flush=True)
    res = run_child("generate", cache, {**params, "out": str(partial)}, log)
    partial.rename(landing)
    files = [p for p in landing.rglob("*") if p.is_file()]
    meta = {
        "params": params,
        "generator_sha": sha,
        "seconds": res["seconds"],
        "peak_rss_mib": res["peak_rss_mib"],
        "rows": res["rows"],
        "files": len(files),
        "mib": round(sum(p.stat().st_size for p in files) / 2**20, 1),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    meta_file.write_text(json.dumps(meta, indent=2))
    return landing, {**meta, "cached": False}


def pipeline_stages(home: Path, night: tuple[str, str], log: Path) -> dict[str, dict]:
    """The pipeline's stages, in order, each in its own process; one run id across the gates and
    publication, as `cxmart run` has."""
    run_id = f"bench-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{os.getpid()}"
    results = {}
    for stage in STAGES:
        results[stage] = run_child(stage, home, {"night": night, "run_id": run_id}, log)
        print(
            f"    {stage:<10} {results[stage]['seconds']:8.1f} s  {results[stage]['peak_rss_mib']:8.0f} MiB"
        )
    return results


def one_repetition(landing: Path, work: Path, i: int, preset: dict, log: Path) -> dict:
    home = work / f"home{i}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "landing").symlink_to(landing)
    last = START + dt.timedelta(days=preset["days"] - 1)
    full_night = (START.isoformat(), last.isoformat())
    next_night = ((last + dt.timedelta(days=1)).isoformat(),) * 2
    print(f"  repetition {i + 1}: full build through {last} (night {full_night[0]}..{full_night[1]})")
    full = pipeline_stages(home, full_night, log)

    print("  side by side on the same raw data")
    side: dict[str, dict] = {}
    for way in WAYS:
        side[way] = run_child(f"voice_{way}", home, {"out": str(work / f"voice_{way}.parquet")}, log)
        print(f"    voice {way:<7} {side[way]['seconds']:8.1f} s  {side[way]['peak_rss_mib']:8.0f} MiB")
    side["bare_scan"] = run_child("bare_scan", home, {"out": str(work / "bare_scan.duckdb")}, log)
    scan = side["bare_scan"]
    print(f"    bare scan     {scan['seconds']:8.1f} s  {scan['peak_rss_mib']:8.0f} MiB")
    comparison = compare_voice(home, work)
    print(
        f"    voice metrics identical (limit, pandas, cxmart, mart.metric_values): {comparison['identical']}"
    )

    print(f"  nightly increment: night {next_night[0]}")
    nightly = pipeline_stages(home, next_night, log)
    return {"full": full, "side": side, "comparison": comparison, "nightly": nightly}


def compare_voice(home: Path, work: Path) -> dict:
    import pandas as pd
    import voice_ways

    from cxmart.config import Settings

    ways = {w: pd.read_parquet(work / f"voice_{w}.parquet") for w in WAYS}
    con = Settings.resolve(home=home).connect(read_only=True)
    try:
        ways["cxmart"] = voice_ways.with_sites(ways["cxmart"], con)
        ways["mart.metric_values"] = voice_ways.with_sites(voice_ways.cxmart_mart(con), con)
    finally:
        con.close()
    return voice_ways.compare(ways, reference="cxmart")


# -- summary --------------------------------------------------------------------------------------


def summarise(runs: list[dict], part: str, names: list[str]) -> dict[str, dict]:
    out = {}
    for n in names:
        seconds = [r[part][n]["seconds"] for r in runs]
        out[n] = {
            "seconds": statistics.median(seconds),
            "work_seconds": statistics.median(r[part][n].get("work_seconds", 0.0) for r in runs),
            "runs_seconds": [round(s, 3) for s in seconds],
            "peak_rss_mib": max(r[part][n]["peak_rss_mib"] for r in runs),
            "cpu_seconds": statistics.median(r[part][n].get("cpu_seconds", 0.0) for r in runs),
            "last": {k: v for k, v in runs[-1][part][n].items() if k not in ("seconds", "peak_rss_mib")},
        }
    return out


def ratios(full: dict, side: dict) -> dict[str, float]:
    """The side by side's ratios, of the work each does (Python's imports left out on both sides)."""
    work = {k: v["work_seconds"] for k, v in side.items()}
    return {
        "cxmart_over_limit": work["cxmart"] / work["limit"],
        "pandas_over_cxmart": work["pandas"] / work["cxmart"],
        "load_over_scan": full["load"]["work_seconds"] / work["bare_scan"],
    }


def goal(
    name: str, measured: float | None, target: str, ok: bool | None, unit: str = "", note: str = ""
) -> dict:
    verdict = "n/a" if ok is None else ("PASS" if ok else "FAIL")
    return {
        "goal": name,
        "measured": measured,
        "unit": unit,
        "target": target,
        "verdict": verdict,
        "note": note,
    }


def goals(preset: str, full: dict, nightly: dict, side: dict, identical: bool) -> list[dict]:
    at_l = preset == "L"
    l_only = "" if at_l else "goal set for preset L; not judged here"
    full_total = sum(full[s]["seconds"] for s in STAGES)
    nightly_total = sum(nightly[s]["seconds"] for s in STAGES)
    r = ratios(full, side)
    load_ratio, voice_ratio, pandas_ratio = (
        r["load_over_scan"],
        r["cxmart_over_limit"],
        r["pandas_over_cxmart"],
    )
    gate_full = sum(full[g]["seconds"] for g in GATES) / full_total
    gate_nightly = sum(nightly[g]["seconds"] for g in GATES) / nightly_total
    peak = max(max(d[s]["peak_rss_mib"] for s in STAGES) for d in (full, nightly))
    return [
        goal("voice metrics identical three ways (and to mart.metric_values)", None, "identical", identical),
        goal(
            "L full rebuild",
            round(full_total, 1),
            "<= 600 s",
            full_total <= 600 if at_l else None,
            "s",
            l_only,
        ),
        goal(
            "L nightly increment",
            round(nightly_total, 1),
            "<= 60 s",
            nightly_total <= 60 if at_l else None,
            "s",
            l_only,
        ),
        goal("load / bare scan", round(load_ratio, 2), "<= 3x", load_ratio <= 3, "x"),
        goal("voice metrics: cxmart / limit", round(voice_ratio, 2), "<= 2x", voice_ratio <= 2, "x"),
        goal(
            "pandas / cxmart at L",
            round(pandas_ratio, 2),
            ">= 5x",
            pandas_ratio >= 5 if at_l else None,
            "x",
            l_only,
        ),
        goal("GX gates share of the full build", round(100 * gate_full, 1), "<= 20%", gate_full <= 0.2, "%"),
        goal(
            "GX gates share of the nightly increment",
            round(100 * gate_nightly, 1),
            "<= 20%",
            gate_nightly <= 0.2,
            "%",
        ),
        goal("peak RSS of any pipeline stage", round(peak), "<= 4096 MiB", peak <= 4 * GIB, "MiB"),
    ]


def machine() -> dict:
    from importlib import metadata

    mem = None
    try:
        import psutil

        mem = psutil.virtual_memory().total
    except ImportError:
        with contextlib.suppress(ValueError, OSError):
            mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    )
    versions = {"python": platform.python_version()}
    for dist in ("duckdb", "dbt-core", "dbt-duckdb", "pandas", "great-expectations", "pyarrow"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem / 2**30, 1) if mem else None,
        "load_average_at_start": load,
        "platform": platform.platform(),
        "versions": versions,
        "git_commit": commit.stdout.strip() or None,
        "git_dirty": bool(dirty.stdout.strip()),
    }


def markdown(result: dict) -> str:
    full, nightly, side = result["full"], result["nightly"], result["side"]
    n = result["repeat"]
    lines = [
        f"### cxmart benchmark, preset {result['preset']} ({result['params']['agents']} CSS x "
        f"{result['params']['days']} days, {result['params']['sites']} sites, seed {result['seed']}), "
        f"{result['date']}, {result['machine']['cores']} cores, {result['machine']['memory_gib']} GiB; "
        f"{'median of ' + str(n) + ' runs' if n > 1 else 'one run'}",
        "",
        f"Data: {result['data']['rows']:,} rows in {result['data']['files']:,} files "
        f"({result['data']['mib']:,} MiB), {result['data']['acd_contacts']:,} raw.acd_contacts rows. "
        f"DuckDB memory_limit {result['duckdb']['memory_limit']}, threads {result['duckdb']['threads']}.",
        "",
        "| stage | full build (s) | CPU (s) | peak RSS (MiB) | nightly increment (s) | CPU (s) "
        "| peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    g = result["generate"]
    cached = " (cached; time of its generation)" if g["cached"] else ""
    lines.append(f"| generate{cached} | {g['seconds']:.1f} | | {g['peak_rss_mib']:.0f} | | | |")
    for s in STAGES:
        cells = [f"{d[s][k]:.{p}f}" for d in (full, nightly) for k, p in FIGURES]
        lines.append(f"| {s.replace('_', ' ')} | {' | '.join(cells)} |")
    tf, tn = (sum(d[s]["seconds"] for s in STAGES) for d in (full, nightly))
    pf, pn = (max(d[s]["peak_rss_mib"] for s in STAGES) for d in (full, nightly))
    cf, cn = (sum(d[s]["cpu_seconds"] for s in STAGES) for d in (full, nightly))
    lines += [
        f"| **total (load..report)** | **{tf:.1f}** | {cf:.1f} | {pf:.0f} "
        f"| **{tn:.1f}** | {cn:.1f} | {pn:.0f} |",
        "",
        f"Load average (1 min) at start {result['machine']['load_average_at_start']}, "
        f"at end {result['machine'].get('load_average_at_end')} ({result['machine']['cores']} cores).",
        "",
    ]
    r = result["ratios"]
    lines += [
        "| side by side (same raw data) | time (s), imports left out | with imports (s) | peak RSS (MiB) |",
        "|---|---:|---:|---:|",
    ]
    for label, m in (
        ("voice: limit (one DuckDB query)", side["limit"]),
        ("voice: pandas groupby", side["pandas"]),
        ("voice: cxmart (dbt run +int_voice__unit_days --full-refresh, read)", side["cxmart"]),
        ("load: cxmart loader (full build)", full["load"]),
        ("load: bare read_csv per entity", side["bare_scan"]),
    ):
        lines.append(f"| {label} | {m['work_seconds']:.2f} | {m['seconds']:.2f} | {m['peak_rss_mib']:.0f} |")
    dbt_own = side["cxmart"]["last"].get("dbt_node_seconds", float("nan"))
    lines += [
        "",
        f"Ratios: cxmart / limit {r['cxmart_over_limit']:.2f}x, "
        f"pandas / cxmart {r['pandas_over_cxmart']:.2f}x, load / bare scan {r['load_over_scan']:.2f}x. "
        f"Of the cxmart voice time, dbt's own execution of its models: {dbt_own:.2f} s.",
        f"Voice metrics ({result['comparison']['rows']['cxmart']:,} site-queue-days): "
        + (
            "identical in limit, pandas, cxmart and mart.metric_values."
            if result["comparison"]["identical"]
            else "**DIFFER**: " + json.dumps(result["comparison"]["against"], default=str)
        ),
        "",
        "| goal (issue 12) | measured | target | verdict |",
        "|---|---:|---|---|",
    ]
    for x in result["goals"]:
        measured = "" if x["measured"] is None else f"{x['measured']} {x['unit']}".strip()
        note = f" ({x['note']})" if x["note"] else ""
        lines.append(f"| {x['goal']} | {measured} | {x['target']} | {x['verdict']}{note} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="S")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument(
        "--workdir", type=Path, default=None, help="Scratch homes (default: a folder in the cache)."
    )
    ap.add_argument("--keep", action="store_true", help="Keep the scratch homes.")
    ap.add_argument("--out", type=Path, default=None, help="JSON result (default: benchmarks/results/...).")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--home", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        out = child(args.child, args.home, json.loads(args.params))
        out["peak_rss_mib"] = _peak_rss_mib()
        own = resource.getrusage(resource.RUSAGE_SELF)
        # CPU seconds beside the wall time: on a shared machine the gap between them is waiting
        out["cpu_seconds"] = round(own.ru_utime + own.ru_stime, 3)
        print(json.dumps(out, default=str))
        return

    preset = PRESETS[args.preset]
    (bench_root() / "work").mkdir(parents=True, exist_ok=True)
    work = Path(
        args.workdir or tempfile.mkdtemp(prefix=f"{args.preset}-{args.seed}-", dir=bench_root() / "work")
    )
    work.mkdir(parents=True, exist_ok=True)
    log = work / "stages.log"
    started = dt.datetime.now(dt.UTC)
    info = machine()
    print(f"preset {args.preset}: {preset}, seed {args.seed}, {args.repeat} run(s); child logs in {log}")
    landing, generated = generated_landing(args.preset, args.seed, log)
    print(
        f"data: {generated['rows']:,} rows, {generated['files']:,} files "
        f"({'cached' if generated['cached'] else 'generated'} in {generated['seconds']:.1f} s)"
    )

    runs = []
    try:
        for i in range(args.repeat):
            runs.append(one_repetition(landing, work, i, preset, log))
    except StageError as exc:
        raise SystemExit(f"benchmark stopped: {exc}") from None

    from cxmart.config import Settings

    settings = Settings.resolve(home=work / "home0")
    con = settings.connect(read_only=True)
    try:
        acd_rows = con.execute("select count(*) from raw.acd_contacts").fetchone()[0]
    finally:
        con.close()
    full = summarise(runs, "full", STAGES)
    side = summarise(runs, "side", [*WAYS, "bare_scan"])
    nightly = summarise(runs, "nightly", STAGES)
    identical = all(r["comparison"]["identical"] for r in runs)
    result = {
        "preset": args.preset,
        "params": preset,
        "seed": args.seed,
        "start": START.isoformat(),
        "repeat": args.repeat,
        "date": started.date().isoformat(),
        "started_at": started.isoformat(timespec="seconds"),
        "machine": info,
        "duckdb": {"memory_limit": settings.duckdb.memory_limit, "threads": settings.duckdb.threads},
        "data": {
            "rows": generated["rows"],
            "files": generated["files"],
            "mib": generated["mib"],
            "acd_contacts": acd_rows,
            "generated_days": generated["params"]["days"],
        },
        "generate": {k: generated[k] for k in ("seconds", "peak_rss_mib", "cached", "generated_at")},
        "full": full,
        "nightly": nightly,
        "side": side,
        "ratios": ratios(full, side),
        "comparison": runs[-1]["comparison"],
        "comparisons_identical": [r["comparison"]["identical"] for r in runs],
    }
    result["goals"] = goals(args.preset, full, nightly, side, identical)
    with contextlib.suppress(OSError):
        info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out = args.out or HERE / "results" / f"{args.preset}-{result['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print()
    print(markdown(result))
    print(f"\nresults: {out}")
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    if not identical:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
