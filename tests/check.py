"""The whole check the README's test command runs: ruff (with Airflow rules), sqlfluff on the models, pytest.

Run from the repository root: `.venv/bin/python tests/check.py [pytest args]`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def step(name: str, cmd: list[str], **kw) -> None:
    print(f"== {name}: {' '.join(cmd)}", flush=True)
    code = subprocess.call(cmd, cwd=kw.pop("cwd", ROOT), **kw)
    if code != 0:
        print(f"== {name} failed (exit {code})", flush=True)
        sys.exit(code)


def main() -> None:
    step("ruff check", [str(BIN / "ruff"), "check", "."])
    step("ruff format", [str(BIN / "ruff"), "format", "--check", "."])
    with tempfile.TemporaryDirectory() as tmp:
        # The dbt templater parses the project, and its profile needs a warehouse path.
        env = {**os.environ, "CXMART_WAREHOUSE": str(Path(tmp) / "lint.duckdb")}
        env["DBT_TARGET_PATH"] = str(Path(tmp) / "target")
        env["DBT_LOG_PATH"] = str(Path(tmp) / "logs")
        step("sqlfluff", [str(BIN / "sqlfluff"), "lint", "models"], cwd=ROOT / "dbt_project", env=env)
    step("pytest", [str(BIN / "pytest"), *sys.argv[1:]])


if __name__ == "__main__":
    main()
