"""The whole check the README's test command runs: ruff (with Airflow rules), sqlfluff on the models, pytest.

Run from the repository root: `.venv/bin/python tests/check.py [pytest args]`.
The screenshot test of the HTML report needs Debian's Chromium (`/usr/bin/chromium`); when it is
missing and this runs as root with apt-get, it is installed first (`apt-get install -y
--no-install-recommends chromium`); otherwise that test is skipped and says why.
"""

from __future__ import annotations

import os
import shutil
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


CHROMIUM = "chromium"
APT_INSTALL = ["install", "-y", "--no-install-recommends", CHROMIUM]


def ensure_chromium() -> None:
    """Install Debian's Chromium for the screenshot test when it is missing and we may (root, apt-get)."""
    if shutil.which(CHROMIUM):
        return
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        why = "apt-get is not available" if apt is None else "not running as root"
        print(
            f"== chromium: not installed and {why}, so the report screenshot test will be skipped "
            f"(install it with: sudo apt-get {' '.join(APT_INSTALL)})",
            flush=True,
        )
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("== chromium: not installed; installing Debian's package (report screenshot test)", flush=True)
    cmd = [apt, *APT_INSTALL]
    print(f"== chromium: {' '.join(cmd)}", flush=True)
    if subprocess.call(cmd, env=env) != 0:
        # a fresh machine may have no package lists yet
        print(f"== chromium: {apt} update, then again", flush=True)
        step("apt-get update", [apt, "update"], env=env)
        step("apt-get install chromium", cmd, env=env)
    if not shutil.which(CHROMIUM):
        print("== chromium: still not on PATH after apt-get install", flush=True)
        sys.exit(1)


def main() -> None:
    ensure_chromium()
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
