"""Benchmark: how long Airflow takes to parse the nightly DAG file (goal: under 2 s with Airflow's own
import, on the 2-core machine).

Not a test. Run from the repository root (the manifest must exist: `.venv/bin/cxmart manifest`):

    .venv/bin/python benchmarks/dag_parse.py --repeat 5

Each repetition is a fresh interpreter, as a DAG processor's first parse is: it times
`import airflow.sdk` (Airflow's own import, which a running DAG processor has paid already), a
DagBag of `dags/` (the DAG file: cxmart's light modules, Cosmos, and Cosmos rendering the dbt
manifest into tasks; the first file read through Airflow's ObjectStoragePath also loads Airflow's
plugins), and a second DagBag in the same interpreter (a DAG processor's every later parse). Prints
each repetition and the medians. Uses a throw-away AIRFLOW_HOME.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PARSE = """
import json, sys, time
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
t2 = time.perf_counter()
bag = DagBag(sys.argv[1])
t3 = time.perf_counter()
assert not bag.import_errors, bag.import_errors
again = DagBag(sys.argv[1])
t4 = time.perf_counter()
print(json.dumps({"airflow": t1 - t0, "dag_file": t3 - t2, "again": t4 - t3,
                  "tasks": len(again.dags[sys.argv[2]].tasks)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "AIRFLOW_HOME": tmp,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "SCARF_NO_ANALYTICS": "true",
        }
        runs = []
        for i in range(args.repeat):
            out = subprocess.run(
                [sys.executable, "-c", PARSE, str(ROOT / "dags"), "contact_centre_nightly"],
                capture_output=True, text=True, env=env, check=True,
            ).stdout  # fmt: skip
            r = json.loads(out.strip().splitlines()[-1])
            runs.append(r)
            total = r["airflow"] + r["dag_file"]
            print(
                f"run {i + 1}: import airflow.sdk {r['airflow']:.2f} s, DAG file {r['dag_file']:.2f} s "
                f"({r['tasks']} tasks), together {total:.2f} s; parsed again {r['again']:.2f} s"
            )
    med = {k: statistics.median(r[k] for r in runs) for k in ("airflow", "dag_file", "again")}
    print(
        f"median of {len(runs)}: import airflow.sdk {med['airflow']:.2f} s, "
        f"DAG file {med['dag_file']:.2f} s, "
        f"together {statistics.median(r['airflow'] + r['dag_file'] for r in runs):.2f} s; "
        f"parsed again in the same process {med['again']:.2f} s (cores: {os.cpu_count()})"
    )


if __name__ == "__main__":
    main()
