"""Benchmark: load throughput (rows/s) and peak memory of `cxmart load` on a generated sample centre.

Not a test. Run from the repository root:

    .venv/bin/python benchmarks/load_throughput.py --agents 300 --days 30 --repeat 3

It generates the centre once (timed separately), then loads it `--repeat` times into a
fresh warehouse, each in its own `cxmart load` subprocess (with `--one-by-one`, each repeat also
loads it file by file, `SCAN_FILES = 1`, right after), and reports the median
wall time, rows/s and the subprocess's peak resident memory (ru_maxrss). It also times
a second load of the same landing (nothing new: the idempotent path). Numbers from a
noisy machine: compare medians from one run, side by side.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

BIN = Path(sys.executable).parent


# `cxmart load` with the loader's scan size set first: SCAN_FILES = 1 loads file by file.
LOAD = (
    "import sys; from cxmart.connectors import loader; loader.SCAN_FILES = int(sys.argv[1]); "
    "from cxmart.cli import app; sys.argv = ['cxmart', 'load', '--home', sys.argv[2]]; app()"
)


def run_load(home: Path, scan_files: int | None = None) -> tuple[float, int]:
    """(seconds, peak RSS in MiB) of one `cxmart load` subprocess; `scan_files` sets SCAN_FILES."""
    env = {**os.environ, "CXMART_PSEUDONYM_KEY": "benchmark-key-0123456789"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if scan_files is None:
        cmd = [str(BIN / "cxmart"), "load", "--home", str(home)]
    else:
        cmd = [sys.executable, "-c", LOAD, str(scan_files), str(home)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the maximum over all waited-for children so far.
    return seconds, max(peak, before) // 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=300)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--sites", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None, help="Scratch folder (default: a temp dir).")
    ap.add_argument(
        "--one-by-one",
        action="store_true",
        help="Also load file by file (SCAN_FILES = 1) in each repeat, for the scan's speed-up side by side.",
    )
    args = ap.parse_args()

    from cxmart.generator import generate

    work = Path(args.workdir or tempfile.mkdtemp(prefix="cxmart-bench-"))
    landing = work / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    t0 = time.perf_counter()
    counts = generate(
        landing, days=args.days, agents=args.agents, sites=args.sites, start=dt.date(2026, 3, 1)
    )
    gen_s = time.perf_counter() - t0
    rows = sum(counts.values())
    files = sum(1 for p in landing.rglob("*") if p.is_file())
    size_mb = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 2**20
    print(f"generated {rows:,} rows in {files} files ({size_mb:,.0f} MiB) in {gen_s:.1f} s")

    modes = {"scan": None, "one by one": 1} if args.one_by_one else {"scan": None}
    times: dict[str, list[float]] = {m: [] for m in modes}
    peaks: list[int] = []
    for i in range(args.repeat):
        for mode, scan_files in modes.items():  # side by side in each repeat
            home = work / f"home{i}-{mode.replace(' ', '-')}"
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir()
            (home / "landing").symlink_to(landing)
            seconds, peak = run_load(home, scan_files)
            loaded = (
                duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
                .execute("select sum(rows_loaded) from raw._load_manifest")
                .fetchone()[0]
            )
            assert loaded == rows, f"loaded {loaded} of {rows} rows"
            times[mode].append(seconds)
            peaks.append(peak)
            print(
                f"  load {i + 1} ({mode}): {seconds:.1f} s, {rows / seconds:,.0f} rows/s, peak RSS {peak} MiB"
            )
    again, _ = run_load(work / "home0-scan")
    med = statistics.median(times["scan"])
    print(
        f"load {args.agents} agents x {args.days} days: median {med:.1f} s over {args.repeat} runs, "
        f"{rows / med:,.0f} rows/s, peak RSS max {max(peaks)} MiB; "
        f"re-load of the same landing (nothing new): {again:.1f} s"
    )
    if args.one_by_one:
        slow = statistics.median(times["one by one"])
        print(
            f"file by file: median {slow:.1f} s ({rows / slow:,.0f} rows/s); "
            f"the scan is {slow / med:.1f}x faster"
        )
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
