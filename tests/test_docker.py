"""The Docker deployment, read as files: no Docker engine runs on our machines, so the compose file
is parsed with PyYAML and the Dockerfile's instructions are checked against the pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"


def pinned(package: str) -> str:
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.lower().startswith(package + "=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{package} is not pinned in constraints.txt")


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", (DOCKER / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


def test_the_image_is_the_official_airflow_image_at_the_pinned_version():
    airflow = pinned("apache-airflow")
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"apache-airflow=={airflow}" in deps
    froms = [arg for word, arg in instructions() if word == "FROM"]
    assert len(froms) == 1
    image, tag = froms[0].split(":")
    assert image == "apache/airflow"
    version, python = tag.split("-python")
    assert version == airflow and python == "3.11"


def test_the_image_installs_the_lock_and_builds_the_dbt_manifest():
    steps = instructions()
    runs = [arg for word, arg in steps if word == "RUN"]
    assert any("pip install" in r and "-c constraints.txt" in r for r in runs)
    manifest_step = next(i for i, (w, a) in enumerate(steps) if w == "RUN" and "cxmart manifest" in a)
    install_step = next(i for i, (w, a) in enumerate(steps) if w == "RUN" and "pip install" in a)
    assert install_step < manifest_step
    env = " ".join(a for w, a in steps if w == "ENV")
    assert "CXMART_DBT_MANIFEST=/opt/cxmart/src/dbt_project/target/manifest.json" in env
    assert "AIRFLOW__CORE__DAGS_FOLDER=/opt/cxmart/src/dags" in env
    copied = {a.split()[-2] for w, a in steps if w == "COPY"}
    for needed in ("cxmart/", "connectors/", "expectations/", "dbt_project/", "dags/", "constraints.txt"):
        assert needed in copied or any(needed in a for w, a in steps if w == "COPY"), needed
    # the build context is the repository root; its ignore file keeps .venv and data out
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
    assert "**" in ignore and "!dags/**" in ignore and not any(".venv" in line for line in ignore)


def test_compose_runs_airflow_with_the_home_on_a_volume_and_the_landing_read_only():
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    service = compose["services"]["airflow"]
    assert service["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
    env = service["environment"]
    assert env["CXMART_HOME"] == "/opt/cxmart/home" and env["CXMART_LANDING"] == "/opt/cxmart/landing"
    assert env["CXMART_PSEUDONYM_KEY"].startswith("${CXMART_PSEUDONYM_KEY:?")  # required, never a default
    volumes = {v.split(":")[-2] if v.endswith(":ro") else v.split(":")[-1]: v for v in service["volumes"]}
    home = volumes["/opt/cxmart/home"]
    assert home.split(":")[0] in compose["volumes"]  # a named volume
    landing = volumes["/opt/cxmart/landing"]
    assert landing.endswith(":ro")
    command = " ".join(service["command"])
    assert "airflow pools set cxmart_warehouse 1" in command
    assert command.rstrip().endswith("exec airflow standalone")
    assert service["ports"] == ["8080:8080"]


def test_the_dag_and_docker_agree_on_the_pool():
    from cxmart import config

    service = yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]["airflow"]
    assert f"airflow pools set {config.AIRFLOW_POOL} 1 " in " ".join(service["command"])
