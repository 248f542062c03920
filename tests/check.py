"""The whole check the README's test command runs: ruff (with Airflow rules), sqlfluff on the models, pytest.

Run from the repository root: `.venv/bin/python tests/check.py [pytest args]`.
The screenshot test of the HTML report needs Debian's Chromium (`/usr/bin/chromium`), and the test
of the Spark engine a Java 17 runtime (`java`); when one is missing and this runs as root with
apt-get, it is installed first (`apt-get install -y --no-install-recommends chromium`, or
`openjdk-17-jre-headless`); otherwise that test is skipped and says why.
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
# The Spark engine's test (tests/test_spark_engine.py) runs Spark in the test process: pyspark 4
# needs a Java 17 (or 21) runtime. JAVA_HOME set means one is there.
JAVA = "java"
JAVA_PACKAGE = "openjdk-17-jre-headless"


def ensure_package(command: str, package: str, needed_by: str) -> None:
    """Install Debian's `package` (which provides `command`) when the command is missing and we may
    (root, apt-get); otherwise say which test will be skipped."""
    if shutil.which(command) or (command == JAVA and os.environ.get("JAVA_HOME")):
        return
    install = ["install", "-y", "--no-install-recommends", package]
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        why = "apt-get is not available" if apt is None else "not running as root"
        print(
            f"== {command}: not installed and {why}, so the {needed_by} will be skipped "
            f"(install it with: sudo apt-get {' '.join(install)})",
            flush=True,
        )
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"== {command}: not installed; installing Debian's package ({needed_by})", flush=True)
    cmd = [apt, *install]
    print(f"== {command}: {' '.join(cmd)}", flush=True)
    if subprocess.call(cmd, env=env) != 0:
        # a fresh machine may have no package lists yet
        print(f"== {command}: {apt} update, then again", flush=True)
        step("apt-get update", [apt, "update"], env=env)
        step(f"apt-get install {package}", cmd, env=env)
    if not shutil.which(command):
        print(f"== {command}: still not on PATH after apt-get install", flush=True)
        sys.exit(1)


def ensure_chromium() -> None:
    """Debian's Chromium for the screenshot test of the HTML report."""
    ensure_package(CHROMIUM, CHROMIUM, "report screenshot test")


def ensure_java() -> None:
    """A Java 17 runtime for the test that builds a centre on Spark."""
    ensure_package(JAVA, JAVA_PACKAGE, "Spark engine test")


def main() -> None:
    ensure_chromium()
    ensure_java()
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
