"""Benchmark: load throughput (rows/s) and peak memory of `cxmart load` on a generated sample centre.

Not a test. Run from the repository root:

    .venv/bin/python benchmarks/load_throughput.py --agents 300 --days 30 --repeat 3

It generates the centre once (timed separately), then loads it `--repeat` times into a
fresh warehouse, each in its own `cxmart load` subprocess, and reports the median
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


def run_load(home: Path) -> tuple[float, int]:
    """(seconds, peak RSS in MiB) of one `cxmart load` subprocess."""
    env = {**os.environ, "CXMART_PSEUDONYM_KEY": "benchmark-key-0123456789"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(
        [str(BIN / "cxmart"), "load", "--home", str(home)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
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

    times, peaks = [], []
    for i in range(args.repeat):
        home = work / f"home{i}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir()
        (home / "landing").symlink_to(landing)
        seconds, peak = run_load(home)
        loaded = (
            duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
            .execute("select sum(rows_loaded) from raw._load_manifest")
            .fetchone()[0]
        )
        assert loaded == rows, f"loaded {loaded} of {rows} rows"
        times.append(seconds)
        peaks.append(peak)
        print(f"  load {i + 1}: {seconds:.1f} s, {rows / seconds:,.0f} rows/s, peak RSS {peak} MiB")
    again, _ = run_load(work / "home0")
    med = statistics.median(times)
    print(
        f"load {args.agents} agents x {args.days} days: median {med:.1f} s over {args.repeat} runs, "
        f"{rows / med:,.0f} rows/s, peak RSS max {max(peaks)} MiB; "
        f"re-load of the same landing (nothing new): {again:.1f} s"
    )
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
