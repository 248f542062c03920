"""Where cxmart keeps its files and secrets: one Settings object resolved from flags, env vars and defaults.

Precedence for every path: command-line flag, then environment variable, then the
default under CXMART_HOME (itself defaulting to ./data).
"""

from __future__ import annotations

import os
import re
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
ENV_DUCKDB_MEMORY_LIMIT = "CXMART_DUCKDB_MEMORY_LIMIT"
ENV_DUCKDB_THREADS = "CXMART_DUCKDB_THREADS"
# Which engine runs the dbt build: duckdb (embedded, the default) or spark (README "Running on Spark").
ENV_ENGINE = "CXMART_ENGINE"
ENGINES = ("duckdb", "spark")
# Set by cxmart for the dbt profile's spark target only: where the exported raw Parquet is and where
# Spark writes the tables it builds.
ENV_SPARK_SOURCES = "CXMART_SPARK_SOURCES"
ENV_SPARK_WAREHOUSE = "CXMART_SPARK_WAREHOUSE"
# Set by cxmart for the dbt profile only (dbt_project/profiles.yml); users set CXMART_HOME instead.
ENV_DUCKDB_TEMP_DIRECTORY = "CXMART_DUCKDB_TEMP_DIRECTORY"
# DuckDB's buffer pool; the process adds Python, dbt and the gates' pandas frames on top, so 3 GB
# keeps a whole pipeline process under 4 GB resident (issue 12). Larger working sets spill to disk.
DEFAULT_DUCKDB_MEMORY_LIMIT = "3GB"
# The Airflow pool (one slot) of every DAG task that writes the working warehouse; docker/compose.yaml
# creates it.
AIRFLOW_POOL = "cxmart_warehouse"

REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DuckDBSettings:
    """The DuckDB settings of every connection cxmart opens on the working warehouse, and of dbt's
    (through the environment its profile reads): memory limit, worker threads, and where a query
    larger than the memory limit spills."""

    memory_limit: str
    threads: int
    temp_directory: Path

    @classmethod
    def resolve(cls, home: Path) -> DuckDBSettings:
        memory = os.environ.get(ENV_DUCKDB_MEMORY_LIMIT) or DEFAULT_DUCKDB_MEMORY_LIMIT
        if not _MEMORY.match(memory):
            raise ConfigError(
                f"{ENV_DUCKDB_MEMORY_LIMIT} must be an amount of memory such as 3GB or 512MiB, not {memory!r}"
            )
        raw_threads = os.environ.get(ENV_DUCKDB_THREADS, "")
        try:
            # DuckDB's own default is one thread per core
            threads = int(raw_threads) if raw_threads else (os.cpu_count() or 1)
        except ValueError:
            raise ConfigError(
                f"{ENV_DUCKDB_THREADS} must be a whole number of threads, not {raw_threads!r}"
            ) from None
        if threads < 1:
            raise ConfigError(f"{ENV_DUCKDB_THREADS} must be at least 1")
        return cls(memory.strip(), threads, home / "tmp" / "duckdb")

    def apply(self, con) -> None:
        """Set these on an open connection. SET, not connect(config=...): DuckDB refuses a second
        connection to an open file with a different config, and a SET applies to the whole database
        instance, so every connection of the process to the warehouse agrees. The spill folder is
        set only when it differs: once a query has spilled, DuckDB refuses any SET temp_directory,
        even to the folder in use ("Cannot switch temporary directory after the current one has
        been used"), and the next connection of the process would fail."""
        self.temp_directory.mkdir(parents=True, exist_ok=True)
        con.execute(f"set memory_limit = '{self.memory_limit}'")
        con.execute(f"set threads = {self.threads}")
        current = con.execute("select current_setting('temp_directory')").fetchone()[0]
        if current != str(self.temp_directory):
            con.execute("set temp_directory = ?", [str(self.temp_directory)])

    def env(self) -> dict[str, str]:
        """The variables dbt_project/profiles.yml reads into dbt-duckdb's `settings:` (memory and
        threads, SET on every cursor) and `config_options:` (the spill folder, given once when dbt
        opens the database: a SET after a spill fails, see `apply`)."""
        self.temp_directory.mkdir(parents=True, exist_ok=True)
        return {
            ENV_DUCKDB_MEMORY_LIMIT: self.memory_limit,
            ENV_DUCKDB_THREADS: str(self.threads),
            ENV_DUCKDB_TEMP_DIRECTORY: str(self.temp_directory),
        }


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
    duckdb: DuckDBSettings
    engine: str = "duckdb"  # what runs the dbt build: duckdb or spark

    @property
    def spark_dir(self) -> Path:
        """The Spark engine's files, beside the working warehouse (`<warehouse>.spark/`, as the dbt
        profile's defaults say): `sources/` (the raw tables as Parquet, `cxmart export-raw`) and
        `warehouse/` (the tables dbt builds on Spark)."""
        return self.warehouse.with_name(self.warehouse.name + ".spark")

    @property
    def spark_sources(self) -> Path:
        return self.spark_dir / "sources"

    @property
    def spark_warehouse(self) -> Path:
        return self.spark_dir / "warehouse"

    @classmethod
    def resolve(
        cls,
        home: str | os.PathLike | None = None,
        landing: str | os.PathLike | None = None,
        warehouse: str | os.PathLike | None = None,
        mart: str | os.PathLike | None = None,
        reports: str | os.PathLike | None = None,
        engine: str | None = None,
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
            duckdb=DuckDBSettings.resolve(home_p),
            engine=resolve_engine(engine),
        )

    def connect(self, read_only: bool = False):
        """A DuckDB connection to the working warehouse, with the DuckDB settings applied."""
        import duckdb  # here, not at the top: the Airflow DAG file imports this module when it parses

        con = duckdb.connect(str(self.warehouse), read_only=read_only)
        try:
            self.duckdb.apply(con)
        except Exception:
            con.close()
            raise
        return con


def resolve_engine(flag: str | None = None) -> str:
    """The engine of the dbt build: the flag, else $CXMART_ENGINE, else duckdb."""
    engine = (flag or os.environ.get(ENV_ENGINE) or "duckdb").strip().lower()
    if engine not in ENGINES:
        raise ConfigError(f"{ENV_ENGINE} (or --engine) must be one of {', '.join(ENGINES)}, not {engine!r}")
    return engine


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
