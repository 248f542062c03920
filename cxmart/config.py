"""Where cxmart keeps its files and secrets: one Settings object resolved from flags, env vars and defaults.

Precedence for every path: command-line flag, then environment variable, then the
default under CXMART_HOME (itself defaulting to ./data).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The fixed key `cxmart demo` pseudonymises with. Never use it for a real centre.
DEMO_PSEUDONYM_KEY = "cxmart-demo-key-not-secret"

ENV_HOME = "CXMART_HOME"
ENV_LANDING = "CXMART_LANDING"
ENV_WAREHOUSE = "CXMART_WAREHOUSE"
ENV_MART = "CXMART_MART"
ENV_REPORTS = "CXMART_REPORTS"
ENV_DBT_PROJECT = "CXMART_DBT_PROJECT_DIR"
ENV_ORG_TZ = "CXMART_ORG_TIME_ZONE"
ENV_KEY = "CXMART_PSEUDONYM_KEY"
ENV_MANIFEST = "CXMART_DBT_MANIFEST"
# The Airflow pool (one slot) of every DAG task that writes the working warehouse; docker/compose.yaml
# creates it.
AIRFLOW_POOL = "cxmart_warehouse"

REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _pick(flag: str | os.PathLike | None, env: str, default: str | os.PathLike) -> str:
    if flag not in (None, ""):
        return str(flag)
    return os.environ.get(env) or str(default)


@dataclass(frozen=True)
class Settings:
    home: Path
    landing: str  # a local path or an fsspec URL (s3://bucket/prefix)
    warehouse: Path
    mart: Path
    reports: Path
    dbt_project_dir: Path
    org_time_zone: str

    @classmethod
    def resolve(
        cls,
        home: str | os.PathLike | None = None,
        landing: str | os.PathLike | None = None,
        warehouse: str | os.PathLike | None = None,
        mart: str | os.PathLike | None = None,
        reports: str | os.PathLike | None = None,
    ) -> Settings:
        home_p = Path(_pick(home, ENV_HOME, "data")).expanduser().resolve()
        landing_s = _pick(landing, ENV_LANDING, home_p / "landing")
        if "://" not in landing_s:
            landing_s = str(Path(landing_s).expanduser().resolve())
        return cls(
            home=home_p,
            landing=landing_s,
            warehouse=Path(_pick(warehouse, ENV_WAREHOUSE, home_p / "warehouse.duckdb")).resolve(),
            mart=Path(_pick(mart, ENV_MART, home_p / "mart.duckdb")).resolve(),
            reports=Path(_pick(reports, ENV_REPORTS, home_p / "reports")).resolve(),
            dbt_project_dir=dbt_project_dir().resolve(),
            org_time_zone=os.environ.get(ENV_ORG_TZ) or "UTC",
        )


def dbt_project_dir() -> Path:
    """The dbt project: $CXMART_DBT_PROJECT_DIR, else dbt_project/ of this checkout."""
    return Path(os.environ.get(ENV_DBT_PROJECT) or REPO_ROOT / "dbt_project")


def manifest_path() -> Path:
    """The dbt manifest the Airflow DAG renders its dbt tasks from: $CXMART_DBT_MANIFEST, else
    <dbt project>/target/manifest.json, built ahead of time by `cxmart manifest`."""
    return Path(os.environ.get(ENV_MANIFEST) or dbt_project_dir() / "target" / "manifest.json")


def pseudonym_key(demo: bool = False) -> str:
    """The secret for the keyed hash of customer identifiers."""
    if demo:
        return DEMO_PSEUDONYM_KEY
    key = os.environ.get(ENV_KEY, "")
    if not key:
        raise ConfigError(
            f"{ENV_KEY} is not set: customer identifiers are pseudonymised with a keyed hash "
            "when they are loaded, and a real run needs its own secret key "
            f"(for example `export {ENV_KEY}=$(openssl rand -hex 32)`); "
            "`cxmart demo` uses a fixed demo key."
        )
    if len(key) < 16:
        raise ConfigError(f"{ENV_KEY} is too short: use at least 16 characters of secret.")
    return key
