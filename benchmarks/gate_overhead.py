"""Benchmark: time spent in the Great Expectations gates as a share of the whole pipeline (target < 20%).

Not a test. Run from the repository root:

    .venv/bin/python benchmarks/gate_overhead.py --agents 300 --days 30 --repeat 3

It generates the centre once, then runs the whole pipeline `--repeat` times, each in a fresh
home and its own process (so the GX import is counted every time): load, raw gate, dbt build,
mart gate, publish, each stage timed. The gate time is the raw gate plus the mart gate (profile
queries in DuckDB, GX validation, audit rows, Data Docs); the ratio is gate time over the
pipeline's total. Prints each run and the median ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "benchmark-key-0123456789"


def one_run(home: Path) -> dict[str, float]:
    """Every stage of the pipeline once, timed (runs in its own process)."""
    from cxmart import pipeline
    from cxmart.config import Settings
    from cxmart.gate import new_run_id

    settings = Settings.resolve(home=home)
    run_id = new_run_id()
    times: dict[str, float] = {}

    def timed(name, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        times[name] = time.perf_counter() - t0
        return out

    timed("load", pipeline.load, settings, KEY)
    raw = timed("raw_gate", pipeline.raw_gate, settings, run_id)
    summary = timed("dbt_build", pipeline.build, settings)
    assert summary.success, summary.failures[:3]
    mart = timed("mart_gate", pipeline.mart_gate, settings, run_id)
    from cxmart import publish

    timed("publish", publish.publish, settings, run_id)
    times["raw_failures"] = len(raw.failures)
    times["mart_failures"] = len(mart.failures)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=300)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--sites", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None, help="Scratch folder (default: a temp dir).")
    ap.add_argument("--one", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one)))
        return

    from cxmart.generator import generate

    work = Path(args.workdir or tempfile.mkdtemp(prefix="cxmart-gate-bench-"))
    landing = work / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    counts = generate(
        landing, days=args.days, agents=args.agents, sites=args.sites, start=dt.date(2026, 3, 1)
    )
    print(f"generated {sum(counts.values()):,} rows ({args.agents} agents x {args.days} days)")
    ratios = []
    for i in range(args.repeat):
        home = work / f"home{i}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir()
        (home / "landing").symlink_to(landing)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CXMART_")}
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(home)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        t = json.loads(out.strip().splitlines()[-1])
        total = sum(t[k] for k in ("load", "raw_gate", "dbt_build", "mart_gate", "publish"))
        gate = t["raw_gate"] + t["mart_gate"]
        ratios.append(gate / total)
        print(
            f"  run {i + 1}: total {total:.1f} s = load {t['load']:.1f} + raw gate {t['raw_gate']:.1f} "
            f"+ dbt build {t['dbt_build']:.1f} + mart gate {t['mart_gate']:.1f} "
            f"+ publish {t['publish']:.1f}; "
            f"gates {gate / total:.1%} ({int(t['raw_failures'])} raw failures)"
        )
    print(f"GX gates / whole pipeline: median {statistics.median(ratios):.1%} over {args.repeat} runs")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
