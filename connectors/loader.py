"""Land canonical export files in DuckDB's `raw` schema: idempotent, atomic, strict and streaming.

The new canonical CSV files of one entity are read together, in one DuckDB scan per up to
`SCAN_BYTES` (`load_files`); every other canonical file (Parquet, JSON lines) and a scan DuckDB
cannot finish are loaded one file at a time. A landing folder that is not a canonical entity is
read by the vendor reader that claims it (`connectors/readers/`: the interface in `base.py`, the
registry in `__init__.py`), one load unit per transaction (`load_unit`): the reader reshapes the
vendor's records into canonical rows in SQL, and the loader does the rest below. Either way, each
file:

1. its content hash is looked up in the load manifest (`raw._load_manifest`): a file
   already loaded with the same content is skipped, and the same content under another
   name is recorded as a duplicate export and not loaded again;
2. DuckDB's own reader (`read_csv`, `read_parquet`, or `read_csv` over JSON lines)
   streams it into a temporary all-text table; a file that cannot be read at all
   (truncated gzip, binary, missing required columns) is rejected, naming the file;
3. each value is typed in SQL; timestamps keep their UTC offset, and one without an
   offset is read in the entity's declared time zone (`<landing>/sources.yml`);
   customer identifiers are replaced by a keyed hash (HMAC-SHA256) before anything is
   written; rows that do not type, miss a required value, carry an unknown code or
   repeat a primary key go to `raw._quarantine` with file, line and reason;
4. in one transaction (per file, or per scan) the rows of an earlier version of the same file are removed
   (a corrected re-export replaces its period), rows with the same primary key from
   other files are replaced (never double-counted), and the good rows are inserted.

A load may be keyed by a night (the Airflow DAG's data interval, `cxmart run --night`): files
whose name dates them after the night's last day are left for their own night, and every file
version loaded records the night in the manifest, so the raw gate knows which days changed.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import gzip
import hashlib
import io
import itertools
import json
import logging
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import duckdb
import fsspec
import yaml

from . import schema
from .readers import claim_folder
from .readers.base import ENTITY_ZONE, Claim, ReaderError, Staged, Unit
from .schema import BOOL, DATE, INT, NUM, STR, TIME, TS, Entity

log = logging.getLogger(__name__)

MANIFEST = "raw._load_manifest"
QUARANTINE = "raw._quarantine"
EXCLUDED = "raw._excluded"  # records of a mapped source that are not rows of its target
# What each load changed, for dbt's incremental models (dbt_project/macros/incremental.sql): per
# canonical entity, the UTC day and item (contact, chat or ticket id) of every row inserted or
# removed; a reference entity's change is one row without a day (every incremental model is then
# rebuilt in full). Pending until the mart built from it is published (mark_changes_built).
CHANGES = "raw._changes"
# The item a fact row belongs to, when one item's rows make one fact row (a contact's segments,
# a chat's messages, a ticket's events): the item's earliest day is where its rebuild starts.
CHANGE_ITEMS = {
    "acd_contacts": "contact_id",
    "chat_sessions": "chat_id",
    "chat_messages": "chat_id",
    "tickets": "ticket_id",
    "ticket_events": "ticket_id",
}
# A change's time where it is not the entity's period column: a declined chat invitation has no
# request, and counts on its invitation day (fct_chat_sessions).
CHANGE_DAYS = {"chat_sessions": "coalesce(t.requested_at, t.invited_at)"}
SOURCES_FILE = "sources.yml"

_BOOKKEEPING_DDL = (
    "create schema if not exists raw",
    f"""create table if not exists {MANIFEST} (
        file_id varchar primary key,
        entity varchar not null,
        path varchar not null,
        size_bytes bigint,
        content_hash varchar not null,
        status varchar not null,
        rows_loaded bigint,
        rows_quarantined bigint,
        message varchar,
        replaced_by varchar,
        loaded_at timestamptz not null,
        night varchar
    )""",
    # warehouses made before loads were keyed by night
    f"alter table {MANIFEST} add column if not exists night varchar",
    # what a vendor reader's unit was read with: a changed declaration reads the folder again
    f"alter table {MANIFEST} add column if not exists declared varchar",
    f"""create table if not exists {EXCLUDED} (
        file_id varchar not null,
        entity varchar not null,
        path varchar not null,
        line bigint,
        record_date date,
        reason varchar not null
    )""",
    f"""create table if not exists {QUARANTINE} (
        file_id varchar not null,
        entity varchar not null,
        path varchar not null,
        line bigint,
        reason varchar not null,
        record json,
        quarantined_at timestamptz not null
    )""",
    f"""create table if not exists {CHANGES} (
        entity varchar not null,
        item varchar,
        day date,
        changed_at timestamptz not null
    )""",
)

_TYPE_LABEL = {
    INT: "an integer",
    NUM: "a number",
    BOOL: "a boolean",
    DATE: "a date",
    TIME: "a time",
}
_OFFSET_RE = r"(Z|z|[+-]\d\d(:?\d\d)?)$"


# What DuckDB raises for a file it cannot read, and what Python's decompressors raise for a
# corrupt stream (anything else is a bug and propagates).
_UNREADABLE = (
    duckdb.IOException,
    duckdb.InvalidInputException,
    duckdb.ConversionException,
    zlib.error,
    gzip.BadGzipFile,
    EOFError,
)


# One scan reads at most this much (file sizes, compressed): a first load of a year of a large
# centre is written in steps, so its all-text staging table stays within the memory limit.
SCAN_BYTES = 256 << 20
SCAN_FILES = 2000

_TEMP_TABLES = (
    "_cx_lines", "_cx_obj", "_cx_raw", "_cx_all", "_cx_excl",
    "_cx_src", "_cx_typed", "_cx_rej", "_cx_rej_scans", "_cx_files",
)  # fmt: skip


class RejectedFile(Exception):
    """The file cannot be loaded at all; the message names the file and the problem."""


@dataclass
class _Version:
    """One version of one file of a load: where it is and what it holds."""

    path: str
    url: str
    size: int
    digest: str
    # The entity a vendor unit's file gives besides its first: its manifest entry is keyed by the
    # file and that entity, since one file version may give several entities.
    also: str = ""

    @property
    def file_id(self) -> str:
        return _file_id(self.url + (f"#{self.also}" if self.also else ""), self.digest)


@dataclass
class FileResult:
    entity: str
    path: str
    status: str  # loaded | replaced | unchanged | duplicate | rejected
    rows: int = 0
    quarantined: int = 0
    message: str = ""


@dataclass
class LoadReport:
    files: list[FileResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    later: list[str] = field(default_factory=list)  # files dated after the night, left for their night

    def rows_by_entity(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            out[f.entity] = out.get(f.entity, 0) + f.rows
        return out

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def rejected(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "rejected"]


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, every canonical table (empty when a source is absent) and bookkeeping."""
    for ddl in _BOOKKEEPING_DDL:
        con.execute(ddl)
    for e in schema.ENTITIES:
        con.execute(schema.raw_ddl(e))
    # A warehouse made before a canonical column was added (tickets.handle_seconds) gets it, empty.
    have = set(
        con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'raw'"
        ).fetchall()
    )
    for e in schema.ENTITIES:
        for c in e.columns:
            if (e.name, c.name) not in have:
                con.execute(f"alter table raw.{e.name} add column {_ident(c.name)} {c.type}")


def log_changes(con: duckdb.DuckDBPyConnection, e: Entity, rows: str) -> None:
    """Record in raw._changes what `rows` (SQL over raw rows or rows about to be inserted, aliased
    t) changes: their distinct (item, UTC day), or for a reference entity one row without a day."""
    if e.kind == "reference" or not e.period_column:
        con.execute(
            f"insert into {CHANGES} select ?, null, null, now() where exists (select 1 from {rows} as t)",
            [e.name],
        )
        return
    col = CHANGE_DAYS.get(e.name, f"t.{_ident(e.period_column)}")
    day = col if e.column(e.period_column).type == DATE else f"cast(timezone('UTC', {col}) as date)"
    item = f"cast(t.{_ident(CHANGE_ITEMS[e.name])} as varchar)" if e.name in CHANGE_ITEMS else "null"
    con.execute(
        f"insert into {CHANGES} select ?, item, day, now() "
        f"from (select distinct {item} as item, {day} as day from {rows} as t)",
        [e.name],
    )


def mark_changes_built(con: duckdb.DuckDBPyConnection) -> int:
    """Forget the recorded changes once the mart built from them is published; returns how many."""
    ensure_raw_schema(con)
    return con.execute(f"delete from {CHANGES}").fetchone()[0]


# A date in a file name: 2026-03-04, 2026_03_04 or 20260304, not inside a longer number.
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})[-_]?(\d{2})[-_]?(\d{2})(?!\d)")


def period_date(path: str) -> dt.date | None:
    """The day a file's name says it covers (the last date in the name), or None when it names
    none (a snapshot: reference data, a roster, a folder of related vendor tables)."""
    found = None
    for m in _NAME_DATE.finditer(PurePosixPath(path).name):
        try:
            found = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            continue
    return found


def landing_entities(landing: str) -> list[str]:
    """The canonical entities the landing location has exports for (canonical, vendor and mapped
    folders), without touching a warehouse: discovery runs against an in-memory DuckDB."""
    con = duckdb.connect()
    try:
        files, _notes = Loader(con, landing, "discovery only, nothing is hashed").discover()
    finally:
        con.close()
    found: set[str] = set()
    for entity, item in files:
        found.update(item.entities if isinstance(item, Unit) else (entity,))
    return sorted(found)


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _looks_like_identifier(column: str) -> bool:
    tokens = re.split(r"[^a-z0-9]+", column.lower())
    return any(t in schema.IDENTIFIER_HINTS for t in tokens)


def _hmac_pads(key: str) -> tuple[str, str]:
    k = key.encode()
    if len(k) > 64:
        k = hashlib.sha256(k).digest()
    k = k.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in k).hex(), bytes(b ^ 0x5C for b in k).hex()


def pseudonymise(value: str, key: str) -> str:
    """The keyed hash used for identifiers, in Python: for tests and for joining outside the warehouse."""
    import hmac

    return hmac.new(key.encode(), value.strip().lower().encode(), hashlib.sha256).hexdigest()


class Loader:
    """Loads every canonical file under a landing URL into an open DuckDB connection (the only writer)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        landing: str,
        pseudonym_key: str,
        *,
        entities: Iterable[str] | None = None,
        through: dt.date | None = None,
        night: str | None = None,
    ) -> None:
        """`entities` limits the load to those canonical entities (and the vendor and mapped
        folders that give them); `through` leaves files whose name dates them after that day for
        a later night; `night` is recorded with every file version this load writes."""
        self.con = con
        self.landing = landing.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.landing)
        self.local = "file" in _protocols(self.fs)
        if not self.local:
            # DuckDB reads remote files through the same fsspec filesystem.
            con.register_filesystem(self.fs)
        self.entities = set(entities) if entities else None
        self.through = through
        self.night = night
        self.later: list[str] = []
        ipad, opad = _hmac_pads(pseudonym_key)
        # HMAC-SHA256 in SQL, so identifiers are hashed inside DuckDB while streaming and
        # the raw value is never written; normalised by trim + lower-case first.
        con.execute(
            "create or replace temp macro _cx_pseudo(v) as case when nullif(trim(v), '') is null "
            f"then null else sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || "
            "encode(lower(trim(v)))))) end"
        )
        ensure_raw_schema(con)
        self.source_settings = self._read_source_settings()
        self._claims: dict[str, Claim | None] = {}
        self._reset(None, [])

    # -- discovery -------------------------------------------------------------------------

    def _read_source_settings(self) -> dict:
        path = f"{self.root}/{SOURCES_FILE}"
        if not self.fs.exists(path):
            return {}
        with self.fs.open(path, "r") as fh:
            try:
                data = yaml.safe_load(fh) or {}
            except yaml.YAMLError as exc:
                raise RejectedFile(f"{self._url(path)}: not valid YAML ({exc})") from exc
        if not isinstance(data, dict):
            raise RejectedFile(f"{self._url(path)}: expected a mapping of settings")
        return data

    def time_zone_for(self, entity: str) -> str | None:
        per = (self.source_settings.get("entities") or {}).get(entity) or {}
        return per.get("time_zone") or self.source_settings.get("time_zone")

    def _claim(self, folder: str) -> Claim | None:
        """The vendor reader's claim on a landing folder that is not a canonical entity, else None."""
        if folder not in self._claims:
            try:
                self._claims[folder] = claim_folder(_LandingView(self), folder)
            except ReaderError as exc:  # a declaration the reader cannot read (e.g. `_mapping.yml`)
                raise RejectedFile(str(exc)) from exc
        return self._claims[folder]

    def _url(self, path: str) -> str:
        return path if self.local else self.fs.unstrip_protocol(path)

    def discover(self) -> tuple[list[tuple[str, str]], list[str]]:
        """(entity, path) pairs in load order, and notes about what was skipped."""
        notes: list[str] = []
        if not self.fs.exists(self.root):
            raise RejectedFile(f"landing location {self.landing} does not exist")
        found: dict[str, list[str | Unit]] = {}
        vendor: dict[str, list[str]] = {}
        self.later = []
        for path in sorted(self.fs.find(self.root)):
            rel = PurePosixPath(path).relative_to(PurePosixPath(self.root))
            if len(rel.parts) < 2 or any(p.startswith((".", "_")) for p in rel.parts):
                continue
            folder = rel.parts[0]
            claim = None if folder in schema.BY_NAME else self._claim(folder)
            if folder not in schema.BY_NAME and claim is None:
                note = (
                    f"{folder}/: not a canonical entity folder, a vendor reader's folder or a folder "
                    "with a _mapping.yml, skipped"
                )
                if note not in notes:
                    notes.append(note)
                continue
            wanted = claim.entities if claim else (folder,)
            if self.entities is not None and not self.entities & set(wanted):
                continue
            day = period_date(path) if self.through is not None else None
            if day is not None and day > self.through:
                self.later.append(self._url(path))
                continue
            if claim is not None:
                vendor.setdefault(folder, []).append(path)
                continue
            found.setdefault(folder, []).append(path)
        for folder, paths in vendor.items():
            claim = self._claims[folder]
            units, skipped = claim.reader.units(claim, paths)
            for why in dict.fromkeys(w for _, w in skipped):
                names = [PurePosixPath(p).name for p, w in skipped if w == why]
                notes.append(f"{folder}/: {len(names)} file(s) skipped, {why}: {', '.join(names)}")
            # A unit loads at the place of the first entity it gives in load order (reference data
            # first, so that facts can be read in their site's zone).
            first = min(claim.entities, key=schema.LOAD_ORDER.index)
            found.setdefault(first, []).extend(units)
        ordered = [(e, p) for e in schema.LOAD_ORDER for p in found.get(e, [])]
        if self.later:
            notes.append(f"{len(self.later)} file(s) dated after {self.through} left for their own night")
        return ordered, notes

    # -- loading ---------------------------------------------------------------------------

    def load_all(
        self,
        progress: Callable[[FileResult], None] | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> LoadReport:
        """Load every file found, in load order; `on_start` hears the file count first."""
        files, notes = self.discover()
        if on_start:
            on_start(len(files))
        report = LoadReport(notes=notes, later=list(self.later))
        # Consecutive canonical CSV files of one entity are read together in one scan.
        for (entity_name, bulk), group in itertools.groupby(
            files, key=lambda f: (f[0], self._scannable(f[1]))
        ):
            paths = [p for _, p in group]
            if bulk:
                results = self.load_files(entity_name, paths)
            else:
                results = [r for p in paths for r in self._load_one(entity_name, p)]
            for result in results:
                report.files.append(result)
                if progress:
                    progress(result)
        report.notes += self.default_notes()
        return report

    def _load_one(self, entity_name: str, path: str | Unit) -> list[FileResult]:
        return self.load_unit(path) if isinstance(path, Unit) else [self.load_file(entity_name, path)]

    def _scannable(self, path: str | Unit) -> bool:
        """A canonical CSV file (not a vendor reader's unit): it can share a scan."""
        return not isinstance(path, Unit) and path.lower().endswith((".csv", ".csv.gz"))

    def default_notes(self) -> list[str]:
        """Which documented defaults of SOURCES.md apply to what is now in raw (said once per run)."""
        con, notes = self.con, []
        facts_with_sites = any(
            con.execute(f"select count(*) from raw.{e.name}").fetchone()[0]
            for e in schema.ENTITIES
            if e.kind == "fact" and "site_id" in e.column_names
        )
        if facts_with_sites and not con.execute("select count(*) from raw.sites").fetchone()[0]:
            notes.append("no sites exported: every site's local day is taken in UTC (the default)")
        n = con.execute("select count(*) from raw.sites where time_zone is null").fetchone()[0]
        if n:
            notes.append(f"{n} site(s) without time_zone: UTC applies (the default)")
        defaults = (
            ("service_level_seconds", "20 s"),
            ("short_abandon_seconds", "5 s"),
            ("sl_formula", "copc_offered"),
        )
        for column, value in defaults:
            n = con.execute(f"select count(*) from raw.queues where {column} is null").fetchone()[0]
            if n:
                notes.append(f"{n} queue(s) without {column}: {value} applies (the default)")
        return notes

    def load_file(self, entity_name: str, path: str) -> FileResult:
        e = schema.entity(entity_name)
        url = self._url(path)
        try:
            size = self.fs.size(path)
            digest = self._hash(path)
        except OSError as exc:
            return self._reject(e, url, None, None, f"cannot be read: {exc}")
        file_id = _file_id(url, digest)

        prior = self.con.execute(f"select status from {MANIFEST} where file_id = ?", [file_id]).fetchone()
        if prior and prior[0] in ("loaded", "duplicate"):
            return FileResult(e.name, url, "unchanged", message="already loaded")
        twin = self.con.execute(
            f"select path from {MANIFEST} where entity = ? and content_hash = ? "
            "and status = 'loaded' and path <> ? limit 1",
            [e.name, digest, url],
        ).fetchone()
        if twin:
            msg = f"same content as {twin[0]}: duplicate export, not loaded again"
            self._manifest(file_id, e, url, size, digest, "duplicate", 0, 0, msg)
            return FileResult(e.name, url, "duplicate", message=msg)

        # One transaction per file, from staging to manifest: the file lands whole or not at
        # all, and a small file pays for one commit instead of one per statement.
        self.con.execute("begin transaction")
        try:
            self._reset(path, [_Version(path, url, size, digest)])
            self._stage(e, path, url)
            rows, quarantined, replaced = self._apply(e, url, file_id, size, digest)
            self._drop_temp()
            self.con.execute("commit")
        except (RejectedFile, *_UNREADABLE) as exc:
            self.con.execute("rollback")
            problem = str(exc) if isinstance(exc, RejectedFile) else _first_line(str(exc))
            return self._reject(e, url, size, digest, problem, file_id)
        except BaseException:
            self.con.execute("rollback")
            raise
        status = "replaced" if replaced else "loaded"
        msg = f"replaced {replaced} rows of an earlier version" if replaced else ""
        return FileResult(e.name, url, status, rows, quarantined, msg)

    def load_files(self, entity_name: str, paths: list[str]) -> list[FileResult]:
        """Load canonical CSV files of one entity, the new ones read together (in load order).

        Each file is hashed and its header checked on its own, so an unreadable file or a bad
        header is rejected by name at once. The rest are read in scans of up to `SCAN_BYTES`
        (one DuckDB `read_csv` over the file list, all text, no sniffing) and written in one
        transaction per scan, with the per-file bookkeeping of `load_file` done set-wise:
        quarantine with file and line, earlier versions of a file replaced, rows with the same
        primary key replaced (within a scan, the later file's row wins, as if loaded one by one),
        one manifest row per file. When DuckDB cannot read one of a scan's files, the scan is
        rolled back and its files are loaded one at a time, which rejects that file by name.
        """
        e = schema.entity(entity_name)
        results: dict[int, FileResult] = {}
        status, loaded_at = self._manifest_state(e)
        pending: list[tuple[int, _Version, tuple[str, ...]]] = []
        digests: set[str] = set()  # content hashes of the files this call reads
        twins: list[tuple[int, _Version]] = []
        for k, path in enumerate(paths):
            url = self._url(path)
            try:
                v = _Version(path, url, self.fs.size(path), self._hash(path))
            except OSError as exc:
                results[k] = self._reject(e, url, None, None, f"cannot be read: {exc}")
                continue
            if status.get(v.file_id) in ("loaded", "duplicate"):
                results[k] = FileResult(e.name, url, "unchanged", message="already loaded")
                continue
            twin = next((p for p in loaded_at.get(v.digest, ()) if p != url), None)
            if twin:
                msg = f"same content as {twin}: duplicate export, not loaded again"
                self._manifest(v.file_id, e, url, v.size, v.digest, "duplicate", 0, 0, msg)
                results[k] = FileResult(e.name, url, "duplicate", message=msg)
                continue
            if v.digest in digests:
                twins.append((k, v))
                continue
            try:
                header = tuple(self._check_header(e, self._csv_names(path)))
            except RejectedFile as exc:
                results[k] = self._reject(e, url, v.size, v.digest, str(exc))
                continue
            digests.add(v.digest)
            pending.append((k, v, header))

        for scan in _scans(pending):
            if len(scan) == 1:
                k, v, _ = scan[0]
                results[k] = self.load_file(e.name, v.path)
                continue
            try:
                for (k, _, _), result in zip(scan, self._load_scan(e, scan), strict=True):
                    results[k] = result
            except (RejectedFile, *_UNREADABLE) as exc:
                log.warning(
                    "%s: %d files could not be read in one scan (%s); loading them one by one",
                    e.name, len(scan), _first_line(str(exc)),
                )  # fmt: skip
                for k, v, _ in scan:
                    results[k] = self.load_file(e.name, v.path)
        for k, v in twins:  # same content twice in one landing: the later one is the copy
            results[k] = self.load_file(e.name, v.path)
        return [results[k] for k in sorted(results)]

    def _manifest_state(self, e: Entity) -> tuple[dict[str, str], dict[str, list[str]]]:
        """Status by file version, and the paths of loaded files by content hash (one query)."""
        status: dict[str, str] = {}
        loaded_at: dict[str, list[str]] = {}
        for file_id, path, digest, state in self.con.execute(
            f"select file_id, path, content_hash, status from {MANIFEST} where entity = ?", [e.name]
        ).fetchall():
            status[file_id] = state
            if state == "loaded":
                loaded_at.setdefault(digest, []).append(path)
        return status, loaded_at

    def _load_scan(self, e: Entity, scan: list[tuple[int, _Version, tuple[str, ...]]]) -> list[FileResult]:
        """Read files sharing one header in one scan and write them in one transaction."""
        versions = [v for _, v, _ in scan]
        header = list(scan[0][2])
        con = self.con
        con.execute("begin transaction")
        try:
            self._reset(None, versions)
            self._header = header
            targets = [v.path if self.local else v.url for v in versions]
            source = _csv_source(targets, header, filename="_cx_file")
            con.execute("create temp table _cx_files (i int, target varchar, url varchar, file_id varchar)")
            con.executemany(
                "insert into _cx_files values (?, ?, ?, ?)",
                [[i, t, v.url, v.file_id] for i, (t, v) in enumerate(zip(targets, versions, strict=True))],
            )
            con.execute(f"create temp table _cx_raw as select row_number() over () as _ord, * from {source}")
            # The record number inside its file, as a one-file load would number it.
            con.execute(
                "create temp table _cx_src as select r.* exclude (_cx_file), f.i as _src_file, "
                "r._ord - m.first_ord + 1 as _src_ord from _cx_raw as r "
                "join (select _cx_file, min(_ord) as first_ord from _cx_raw group by 1) as m "
                "using (_cx_file) "
                "join _cx_files as f on f.target = r._cx_file"
            )
            n_raw, n_src = con.execute(
                "select (select count(*) from _cx_raw), (select count(*) from _cx_src)"
            ).fetchone()
            if n_raw != n_src:  # a path DuckDB reports differently from the one it was given
                raise RejectedFile(f"scan of {len(targets)} files could not tell its rows' files apart")
            results = self._write_scan(e, versions)
            self._drop_temp()
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return results

    def _write_scan(self, e: Entity, versions: list[_Version]) -> list[FileResult]:
        """`_write` and `_apply` for a scan of several files: every row carries its own file."""
        con = self.con
        con.execute(f"create temp table _cx_typed as {self._typed_select(e)}")
        if e.primary_key:
            self._flag_repeated_keys(e, per_file=True)
        rejects = self._structural_rejects()
        bad = [
            ((f, k), why, rec)
            for f, k, why, rec in con.execute(
                "select src._src_file, src._src_ord, list_aggregate(t._errors, 'string_agg', '; '), "
                f"{self._record_expr(e)} from _cx_typed as t join _cx_src as src on src._ord = t._ord "
                "where len(t._errors) > 0 order by t._ord"
            ).fetchall()
        ]
        lines = self._physical_lines([b[0] for b in bad], rejects)
        # Earlier versions of these files: their rows, quarantine and manifest rows are replaced.
        old = con.execute(
            f"select m.file_id, f.i, f.file_id from {MANIFEST} as m join _cx_files as f on m.path = f.url "
            "where m.entity = ? and m.status = 'loaded' and m.file_id <> f.file_id",
            [e.name],
        ).fetchall()
        replaced: dict[int, int] = {}
        if old:
            ids = [o[0] for o in old]
            by_old = {o[0]: o[1] for o in old}
            for file_id, n in con.execute(
                f"select _file_id, count(*) from raw.{e.name} "
                "where _file_id in (select unnest(?)) group by 1",
                [ids],
            ).fetchall():
                replaced[by_old[file_id]] = replaced.get(by_old[file_id], 0) + n
            quoted = ", ".join(_sql_str(i) for i in ids)
            log_changes(con, e, f"(select * from raw.{e.name} where _file_id in ({quoted}))")
            con.execute(f"delete from raw.{e.name} where _file_id in (select unnest(?))", [ids])
            for table in (QUARANTINE, EXCLUDED):
                con.execute(f"delete from {table} where file_id in (select unnest(?))", [ids])
            con.executemany(
                f"update {MANIFEST} set status = 'replaced', replaced_by = ? where file_id = ?",
                [[new, old_id] for old_id, _, new in old],
            )
        good = "(select * from _cx_typed where len(_errors) = 0)"
        cols = ", ".join(_ident(n) for n in e.column_names)
        gcols = ", ".join(f"g.{_ident(n)}" for n in e.column_names)
        last = ""
        if e.primary_key:
            match = " and ".join(f"t.{_ident(k)} = g.{_ident(k)}" for k in e.primary_key)
            log_changes(con, e, f"(select t.* from raw.{e.name} as t semi join {good} as g on {match})")
            con.execute(f"delete from raw.{e.name} as t using {good} as g where {match}")
            pk = ", ".join(f"g.{_ident(k)}" for k in e.primary_key)
            repeated = con.execute(f"select count(*) - count(distinct ({pk})) from {good} as g").fetchone()[0]
            if repeated:  # the window costs more than the insert; most scans have no repeats
                last = f" qualify row_number() over (partition by {pk} order by s._src_file desc) = 1"
        con.execute(
            f"insert into raw.{e.name} ({cols}, attributes, _file_id, _row, _loaded_at) "
            f"select {gcols}, g.attributes, f.file_id, s._src_ord, now() from {good} as g "
            "join _cx_src as s on s._ord = g._ord join _cx_files as f on f.i = s._src_file" + last
        )
        log_changes(con, e, good)
        good_rows = dict(
            con.execute(
                "select s._src_file, count(*) from _cx_typed as t join _cx_src as s on s._ord = t._ord "
                "where len(t._errors) = 0 group by 1"
            ).fetchall()
        )
        quarantine = self._store_rejects(e, rejects, bad, [], lines)
        results, entries = [], []
        for i, v in enumerate(versions):
            rows, n_old = good_rows.get(i, 0), replaced.get(i, 0)
            n_bad = sum(1 for q in quarantine if q[0] == i)
            msg = f"{n_bad} row(s) quarantined" if n_bad else ""
            entries.append((v.file_id, e, v.url, v.size, v.digest, "loaded", rows, n_bad, msg))
            note = f"replaced {n_old} rows of an earlier version" if n_old else ""
            results.append(FileResult(e.name, v.url, "replaced" if n_old else "loaded", rows, n_bad, note))
        self._manifest_many(entries)
        return results

    def load_unit(self, unit: Unit) -> list[FileResult]:
        """Load what a vendor reader found, in one transaction: one export file, or a folder of
        related files read together, giving one or several entities (one result per entity).

        Every file version has a manifest entry per entity it gives. A single export file keeps
        every rule of a canonical file: unchanged, duplicate export, a corrected re-export replaces
        its earlier version's rows. A folder read together is `unchanged` when no file changed;
        when any changed, the rows each entity got from the folder (and their quarantined and
        excluded records) are removed and derived again from all its current files, earlier
        versions of changed files being marked `replaced`. Rows carry the file version and record
        number of the file that names them (the first file of the unit, or `_src_file`);
        quarantined and excluded records name their own file and line. DECISIONLOG "Vendor
        Readers: A Folder of Related Tables Is One Load Unit" and "Vendor Readers: One Interface,
        Several Entities per Unit".
        """
        primary = unit.entities[0]
        entities = [
            n for n in schema.LOAD_ORDER
            if n in unit.entities and (self.entities is None or n in self.entities)
        ]  # fmt: skip
        first = schema.entity(entities[0])
        where = self._url(f"{self.root}/{unit.folder}") + "/" if unit.together else self._url(unit.paths[0])
        try:
            base = [_Version(p, self._url(p), self.fs.size(p), self._hash(p)) for p in unit.paths]
        except OSError as exc:
            return [self._reject(first, where, None, None, f"cannot be read: {exc}")]

        def versions(name: str) -> list[_Version]:
            return [dataclasses.replace(v, also="" if name == primary else name) for v in base]

        ids = {n: [v.file_id for v in versions(n)] for n in entities}
        # A unit read before with other declarations (its sources.yml block, the zones) is read
        # again, as if its files had changed.
        declared = unit.reader.fingerprint(self, unit.claim)
        state = {
            file_id: status if status != "loaded" or seen == declared else "declared otherwise"
            for file_id, status, seen in self.con.execute(
                f"select file_id, status, declared from {MANIFEST} where file_id in (select unnest(?))",
                [[i for n in entities for i in ids[n]]],
            ).fetchall()
        }
        if all(state.get(i) in ("loaded", "duplicate") for n in entities for i in ids[n]):
            return [FileResult(n, where, "unchanged", message="already loaded") for n in entities]
        if not unit.together:  # the same export under another name is a duplicate, not loaded again
            v = base[0]
            twin = self.con.execute(
                f"select path from {MANIFEST} where entity = ? and content_hash = ? "
                "and status = 'loaded' and path <> ? limit 1",
                [first.name, v.digest, v.url],
            ).fetchone()
            if twin:
                msg = f"same content as {twin[0]}: duplicate export, not loaded again"
                self._manifest_many(
                    [(vs[0].file_id, schema.entity(n), v.url, v.size, v.digest, "duplicate", 0, 0, msg)
                     for n in entities for vs in [versions(n)]]
                )  # fmt: skip
                return [FileResult(n, where, "duplicate", message=msg) for n in entities]

        urls = [v.url for v in base]
        results = []
        self.con.execute("begin transaction")
        try:
            self._reset(None, base)
            self._declared = declared
            unit.reader.prepare(self, unit)
            for name in entities:
                e = schema.entity(name)
                self._versions = versions(name)
                self._use(e, unit.reader.stage(self, unit, name))
                old = [
                    r[0]
                    for r in self.con.execute(
                        f"select file_id from {MANIFEST} where entity = ? and status = 'loaded' "
                        "and path in (select unnest(?))",
                        [name, urls],
                    ).fetchall()
                ]
                rows, quarantine, replaced = self._write(e, self._versions[0].file_id, old)
                entries = []
                for i, v in enumerate(self._versions):
                    self.con.execute(
                        f"update {MANIFEST} set status = 'replaced', replaced_by = ? "
                        "where path = ? and entity = ? and status = 'loaded' and file_id <> ?",
                        [v.file_id, v.url, name, v.file_id],
                    )
                    n_bad = sum(1 for q in quarantine if q[0] == i)
                    if unit.together:
                        msg = f"read together with the other files of {unit.folder}/"
                        msg += f"; {n_bad} row(s) quarantined" if n_bad else ""
                    else:
                        msg = f"{n_bad} row(s) quarantined" if n_bad else ""
                    entries.append((v.file_id, e, v.url, v.size, v.digest, "loaded", rows if i == 0 else 0,
                                    n_bad, msg))  # fmt: skip
                self._manifest_many(entries)
                if unit.together:
                    changed = sum(
                        1 for i in ids[name] if state.get(i) not in ("loaded", "declared otherwise")
                    )
                    msg = f"{len(base)} file(s) read together, {changed} new or changed"
                    if any(state.get(i) == "declared otherwise" for i in ids[name]):
                        msg += ", declarations changed"
                    msg += f"; replaced {replaced} rows derived before" if replaced else ""
                else:
                    msg = f"replaced {replaced} rows of an earlier version" if replaced else ""
                status = "replaced" if replaced else "loaded"
                results.append(FileResult(name, where, status, rows, len(quarantine), msg))
                self._drop_temp(entity_only=True)
            self._drop_temp()
            self.con.execute("commit")
        except (RejectedFile, ReaderError, *_UNREADABLE) as exc:
            self.con.execute("rollback")
            problem = str(exc) if isinstance(exc, RejectedFile | ReaderError) else _first_line(str(exc))
            if unit.together:
                return [self._reject(first, where, None, None, problem)]
            v = base[0]
            return [self._reject(first, where, v.size, v.digest, problem, ids[first.name][0])]
        except BaseException:
            self.con.execute("rollback")
            raise
        finally:
            self._declared = None
        return results

    def _use(self, e: Entity, staged: Staged) -> None:
        """Take what a reader staged for one entity: its columns (checked like a header), checks,
        time zone and line numbering; an empty `_cx_excl` when the reader excluded nothing."""
        self._header = self._check_header(e, staged.columns)
        self._reader_error = staged.checks
        self._not_row = staged.not_rows
        self._staged_zone = staged.time_zone
        self._lines = dict(staged.lines)
        self._header_rows = dict(staged.header_rows)
        self.con.execute(
            "create temp table if not exists _cx_excl as select null::integer as _src_file, "
            "null::bigint as _src_ord, null::varchar as reason, null::date as _record_date where false"
        )

    # -- the Staging protocol of connectors/readers/base.py: what a reader may use -----------------

    @property
    def versions(self) -> list[_Version]:
        return self._versions

    def settings(self, key: str) -> dict:
        data = self.source_settings.get(key)
        return data if isinstance(data, dict) else {}

    def _named(self, index: int, exc: Exception) -> ReaderError:
        return ReaderError(f"{PurePosixPath(self._versions[index].path).name}: {exc}")

    def csv_header(self, index: int) -> list[str]:
        try:
            return self._csv_names(self._versions[index].path)
        except RejectedFile as exc:
            raise self._named(index, exc) from None

    def csv_records(self, index: int, n: int) -> list[list[str]]:
        """The first `n` records of CSV file `index` (header rows of a native export)."""
        with self.fs.open(self._versions[index].path, "rb", compression="infer") as raw_fh:
            text = io.TextIOWrapper(raw_fh, encoding="utf-8-sig", errors="replace", newline="")
            return [r for _, r in zip(range(n), csv.reader(text), strict=False)]

    def read_csv(self, index: int, table: str, header: list[str] | None = None) -> list[str]:
        v = self._versions[index]
        header = header if header is not None else self.csv_header(index)
        self._read_csv(v.path, v.url, header, table)
        self.temp(table)
        return header

    def _check_text(self, index: int) -> None:
        """A text export: decompresses whole (a .gz) and is not binary; ReaderError naming it."""
        path = self._versions[index].path
        try:
            self._check_gzip(path)
            with self.fs.open(path, "rb", compression="infer") as fh:
                head = fh.read(1 << 16)
        except (RejectedFile, OSError, EOFError, zlib.error) as exc:
            raise self._named(index, exc) from None
        if b"\0" in head:
            raise self._named(index, "binary content, not a text export")
        try:
            head.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not a character cut at the end of the first block
                raise self._named(index, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None

    def read_lines(self, index: int, table: str) -> None:
        self._check_text(index)
        v = self._versions[index]
        target = v.path if self.local else v.url
        self.con.execute(
            f"create temp table {table} as select row_number() over () as _ord, line from "
            f"read_csv({_sql_str(target)}, columns = {{'line': 'VARCHAR'}}, header = false, "
            "auto_detect = false, delim = chr(31), quote = '', escape = '')"
        )
        self.temp(table)

    def read_json(self, index: int, table: str) -> None:
        """One row per JSON value. JSON lines (the first line is a whole JSON object): one row a
        line, numbered by line, a line that is not JSON kept with `json` NULL for the reader to
        quarantine; otherwise a document or concatenated values (Kinesis Firehose), numbered in
        order, and a file DuckDB cannot parse is rejected by name."""
        lines = f"_cx_jl_{index}"
        self.read_lines(index, lines)
        first = self.con.execute(
            f"select line from {lines} where trim(coalesce(line, '')) <> '' order by _ord limit 1"
        ).fetchone()
        try:
            jsonl = first is not None and isinstance(json.loads(first[0]), dict)
        except ValueError:
            jsonl = False
        if jsonl:
            self.con.execute(
                f"create temp table {table} as select _ord, case when json_valid(line) then line::json "
                f"end as json from {lines} where trim(coalesce(line, '')) <> ''"
            )
        else:
            v = self._versions[index]
            target = v.path if self.local else v.url
            self.con.execute(
                f"create temp table {table} as select row_number() over () as _ord, json "
                f"from read_json_objects({_sql_str(target)}, format = 'unstructured')"
            )
        self.temp(table)

    def temp(self, table: str) -> None:
        if table not in self._extra_temp:
            self._extra_temp.append(table)

    def _reset(self, path: str | None, versions: list[_Version]) -> None:
        """Per-load state: the file(s) being read (`path` None: a vendor reader's unit) and what
        a vendor reader's Staged sets."""
        self._path = path
        self._versions = versions
        self._fmt = "csv"
        self._header_rows: dict[int, int] = {}  # file index -> header records before the data (default 1)
        self._staged_zone: str | None = ENTITY_ZONE  # a vendor reader's zone for offset-less timestamps
        self._lines: dict[int, str] = {}  # file index -> 'csv' | 'record' (how records become lines)
        self._reader_error = False  # the reader staged a `_reader_error` column
        self._not_row = False  # ... and a `_not_row` column (records staged only to quarantine them)
        self._extra_temp: list[str] = []  # the reader's own temp tables
        self._rejects_taken = False  # a vendor unit's malformed CSV rows are already quarantined
        self._declared: str | None = None  # fingerprint of the declarations a vendor unit is read with

    def _drop_temp(self, entity_only: bool = False) -> None:
        """Drop the load's temp tables; `entity_only`: only those of one entity of a vendor unit
        (its staged and typed rows), keeping the reader's own tables for the next entity."""
        for t in _TEMP_TABLES if entity_only else (*_TEMP_TABLES, *self._extra_temp):
            if entity_only and t in self._extra_temp:
                continue
            self.con.execute(f"drop table if exists {t}")

    def _hash(self, path: str) -> str:
        h = hashlib.sha256()
        with self.fs.open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()

    def _reject(self, e, url, size, digest, problem, file_id=None) -> FileResult:
        msg = f"{url}: rejected, {problem}"
        if digest is not None:
            file_id = file_id or _file_id(url, digest)
            self._manifest(file_id, e, url, size, digest, "rejected", 0, 0, problem)
        log.error(msg)
        return FileResult(e.name, url, "rejected", message=msg)

    def _manifest(self, file_id, e, url, size, digest, status, rows, quarantined, message):
        self._manifest_many([(file_id, e, url, size, digest, status, rows, quarantined, message)])

    def _manifest_many(self, entries: list[tuple]) -> None:
        """Record file versions in the manifest: one statement however many (a row each costs ms)."""
        if not entries:
            return
        columns = [list(c) for c in zip(*entries, strict=True)]
        columns[1] = [e.name for e in columns[1]]
        self.con.execute(
            f"insert or replace into {MANIFEST} (file_id, entity, path, size_bytes, content_hash, "
            "status, rows_loaded, rows_quarantined, message, loaded_at, night, declared) "
            "select unnest(?::varchar[]), unnest(?::varchar[]), unnest(?::varchar[]), unnest(?::bigint[]), "
            "unnest(?::varchar[]), unnest(?::varchar[]), unnest(?::bigint[]), unnest(?::bigint[]), "
            "unnest(?::varchar[]), now(), ?, ?",
            [*columns, self.night, self._declared],
        )

    # -- reading into an all-text staging table ----------------------------------------------

    def _format(self, path: str) -> str:
        lower = path.lower()
        for suffix in schema.SUFFIXES:
            if lower.endswith(suffix):
                return suffix.split(".")[1]
        raise RejectedFile(f"unsupported file type (expected one of {', '.join(schema.SUFFIXES)})")

    def _read_csv(self, path: str, url: str, header: list[str], table: str) -> None:
        target = path if self.local else url
        source = _csv_source([target], header)
        self.con.execute(f"create temp table {table} as select row_number() over () as _ord, * from {source}")

    def _stage(self, e: Entity, path: str, url: str) -> None:
        fmt = self._fmt = self._format(path)
        target = path if self.local else url
        if fmt == "csv":
            header = self._check_header(e, self._csv_names(path))
            self._read_csv(path, url, header, "_cx_src")
        elif fmt == "jsonl":
            self._check_gzip(path)
            lines = (
                f"read_csv({_sql_str(target)}, columns = {{'_json': 'VARCHAR'}}, header = false, "
                "auto_detect = false, delim = chr(31), quote = '', escape = '')"
            )
            self.con.execute(
                f"create temp table _cx_lines as select row_number() over () as _ord, _json from {lines}"
            )
            # DuckDB evaluates JSON functions before filters: only give them valid objects.
            self.con.execute(
                "create temp table _cx_obj as select _ord, _json is null or trim(_json) = '' "
                "as _blank, case when json_valid(_json) and (case when json_valid(_json) then "
                "json_type(_json) end) = 'OBJECT' then _json end as _obj from _cx_lines"
            )
            keys = [
                r[0]
                for r in self.con.execute(
                    "select distinct unnest(json_keys(_obj)) from _cx_obj order by 1"
                ).fetchall()
            ]
            header = self._check_header(e, keys)
            cols = ", ".join(
                f"json_extract_string(_obj, {_sql_str('$.' + _json_path(k))}) as {_ident(k)}" for k in header
            )
            self.con.execute(
                "create temp table _cx_src as select _ord, _blank, _obj is not null as _valid"
                f"{', ' + cols if cols else ''} from _cx_obj"
            )
        else:  # parquet
            described = self.con.execute(
                f"describe select * from read_parquet({_sql_str(target)})"
            ).fetchall()
            header = self._check_header(e, [r[0] for r in described])
            cols = ", ".join(f"cast({_ident(c)} as varchar) as {_ident(c)}" for c in header)
            self.con.execute(
                "create temp table _cx_src as select row_number() over () as _ord, "
                f"{cols} from read_parquet({_sql_str(target)})"
            )
        self._header = header

    def _check_gzip(self, path: str) -> None:
        """Reject a `.gz` file whose whole stream does not decompress (error path of a read).

        DuckDB's gzip reader checks neither the CRC nor every block: a file with garbage in the
        middle loaded part of its rows without a word. So the whole stream is decompressed once,
        in bounded pieces, before DuckDB reads it; zlib checks each member's CRC and length.
        """
        if not path.lower().endswith(".gz"):
            return
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        seen = 0
        try:
            with self.fs.open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    if seen == 0 and not chunk.startswith(b"\x1f\x8b"):
                        raise RejectedFile("not GZIP-compressed, although its name ends in .gz")
                    seen += len(chunk)
                    data = chunk
                    while data:
                        if d.eof:  # a member ended: what follows is another member (or padding)
                            if not data.strip(b"\0"):
                                break
                            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                        d.decompress(data, 1 << 22)
                        data = d.unused_data if d.eof else d.unconsumed_tail
        except zlib.error as exc:
            raise RejectedFile(f"corrupt GZIP stream ({exc})") from exc
        if seen and not d.eof:
            raise RejectedFile("truncated GZIP stream (it ends before its last member does)")

    def _csv_names(self, path: str) -> list[str]:
        """The header row's names, after checking the file is readable UTF-8 text."""
        self._check_gzip(path)
        try:
            with self.fs.open(path, "rb", compression="infer") as fh:
                first = fh.readline(1 << 16)
        except (OSError, EOFError, zlib.error) as exc:
            raise RejectedFile(f"cannot be read: {exc}") from exc
        if b"\0" in first:
            raise RejectedFile("binary content, not a CSV text file")
        try:
            text = first.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RejectedFile(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        if not text.strip():
            raise RejectedFile("empty file: no header row")
        return next(csv.reader([text.rstrip("\r\n")]))

    def _check_header(self, e: Entity, names: list[str]) -> list[str]:
        names = [n.strip() for n in names]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise RejectedFile(f"header repeats column(s) {', '.join(dupes)}")
        missing = [c.name for c in e.columns if c.required and c.name not in names]
        if missing:
            raise RejectedFile(
                f"header lacks required column(s) {', '.join(missing)} of {e.name}; "
                f"found {', '.join(names[:20]) or 'nothing'}"
            )
        return names

    # -- typing, checking and committing -----------------------------------------------------

    def _typed_select(self, e: Entity) -> str:
        """One statement that types and checks the staged rows.

        `cleaned` holds each raw text value (`raw_<n>`) and its typed value (the column's
        own name) side by side, so each check reads both without repeating the typing
        expression; `checked` gathers the reasons in `_errors`.
        """
        present = set(self._header)
        zone = self._staged_zone
        tz_mode = self.time_zone_for(e.name) if zone == ENTITY_ZONE else zone
        join, site_zone = "", ""
        if tz_mode == "site":
            if "site_id" in e.column_names and "site_id" in present:
                join = (
                    "left join (select site_id, coalesce(time_zone, 'UTC') as time_zone "
                    "from raw.sites) as site_tz on site_tz.site_id = src.site_id"
                )
                site_zone = "site_tz.time_zone as _site_zone,"
            else:
                tz_mode = None  # no site to take a zone from: offsets are required
        raws: list[str] = []
        typed: list[str] = []
        errors: list[str] = []
        for i, c in enumerate(e.columns):
            src = f"nullif(src.{_ident(c.name)}, '')" if c.name in present else "null::varchar"
            raws.append(f"{src} as raw_{i}")
            expr, err = self._typed(c, f"raw_{i}", _ident(c.name), tz_mode)
            typed.append(f"{expr} as {_ident(c.name)}")
            errors.extend(err)
        errors.extend(_row_rule_checks(e))
        extras = [n for n in self._header if n not in e.column_names]
        if extras:
            parts = []
            for n in extras:
                v = f"nullif(src.{_ident(n)}, '')"
                parts += [_sql_str(n), f"_cx_pseudo({v})" if _looks_like_identifier(n) else v]
            attributes = f"json_object({', '.join(parts)})"
        else:
            attributes = "null::json"
        if self._fmt == "jsonl":
            errors.insert(0, "case when not _valid then 'not a valid JSON object' end")
            valid, where = "src._valid", "where not src._blank"
        else:
            valid, where = "true", ""
        # A vendor reader's own checks (e.g. a score outside the declared scale); a record the
        # reader staged only to quarantine it (`_not_row`, e.g. an unknown event) gets its reason
        # alone, not the typing errors of the columns it could not fill.
        reader_error = "src._reader_error" if self._reader_error else "null::varchar"
        not_row = "coalesce(src._not_row, false)" if self._not_row else "false"
        errors.insert(0, "_reader_error")
        cols = ", ".join(_ident(n) for n in e.column_names)
        return f"""
            with staged as (
                select src._ord, {valid} as _valid, {attributes} as attributes, {site_zone}
                    {reader_error} as _reader_error, {not_row} as _not_row,
                    {", ".join(raws)}
                from _cx_src as src {join} {where}
            ),
            cleaned as (
                select *, {", ".join(typed)} from staged
            ),
            checked as (
                select _ord, {cols}, attributes,
                    case when _not_row then [coalesce(_reader_error, 'not a row')]
                        else list_filter([{", ".join(errors) or "null"}], lambda x: x is not null)
                    end as _errors
                from cleaned
            )
            select * from checked
        """

    def _typed(
        self, c: schema.Column, raw: str, typed_ref: str, tz_mode: str | None
    ) -> tuple[str, list[str]]:
        """The typing expression for one column, and its checks (which read `raw` and `typed_ref`)."""
        label = c.name
        errors: list[str] = []
        has_offset = f"regexp_matches({raw}, '{_OFFSET_RE}')"
        if c.domain is not None and c.type == STR:
            typed = f"lower(trim({raw}))"
        elif c.type == STR:
            typed = f"_cx_pseudo({raw})" if c.identifier else raw
        elif c.type == TS:
            if tz_mode in (None, ""):
                zone = None
            elif tz_mode == "site":
                zone = "coalesce(_site_zone, 'UTC')"
            else:
                zone = _sql_str(tz_mode)
            naive = f"timezone({zone}, try_cast({raw} as timestamp))" if zone else "null"
            typed = (
                f"case when {raw} is null then null when {has_offset} "
                f"then try_cast({raw} as timestamptz) else {naive} end"
            )
            if zone is None:
                errors.append(
                    f"case when {raw} is not null and not {has_offset} "
                    f"then '{label}: timestamp has no UTC offset and no time zone is declared "
                    f"for this entity in {SOURCES_FILE}' end"
                )
                errors.append(
                    f"case when {raw} is not null and {typed_ref} is null and {has_offset} "
                    f"then '{label}: not a timestamp: ' || left({raw}, 40) end"
                )
            else:
                errors.append(
                    f"case when {raw} is not null and {typed_ref} is null "
                    f"then '{label}: not a timestamp: ' || left({raw}, 40) end"
                )
        elif c.type == DATE:
            # Accept a date, a timestamp (its date part) or a month (YYYY-MM, its first day).
            typed = (
                f"try_cast(case when regexp_full_match({raw}, '\\d{{4}}-\\d{{2}}') "
                f"then {raw} || '-01' "
                f"when regexp_matches({raw}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}[T ]') "
                f"then left({raw}, 10) else {raw} end as date)"
            )
        else:
            typed = f"try_cast({raw} as {c.type})"
        if c.type not in (STR, TS):
            errors.append(
                f"case when {raw} is not null and {typed_ref} is null "
                f"then '{label}: not {_TYPE_LABEL[c.type]}: ' || left({raw}, 40) end"
            )
        if c.required:
            errors.append(f"case when {raw} is null then '{label}: required value missing' end")
        if c.domain is not None:
            allowed = ", ".join(_sql_str(v) for v in c.domain)
            check = f"lower(trim({raw}))" if c.type == STR else raw
            shown = "" if c.identifier else f" || ': ' || left({raw}, 40)"
            errors.append(
                f"case when {raw} is not null and {check} not in ({allowed}) "
                f"then '{label}: not one of {', '.join(c.domain)}'{shown} end"
            )
        if c.name == "time_zone":
            errors.append(
                f"case when {raw} is not null and {raw} not in "
                f"(select name from pg_timezone_names()) "
                f"then '{label}: unknown IANA time zone: ' || left({raw}, 40) end"
            )
        return typed, errors

    def _apply(self, e: Entity, url: str, file_id: str, size: int, digest: str):
        """Type, check and write one file's staged rows, then record it (inside its transaction)."""
        old = [
            r[0]
            for r in self.con.execute(
                f"select file_id from {MANIFEST} where path = ? and entity = ? "
                "and status = 'loaded' and file_id <> ?",
                [url, e.name, file_id],
            ).fetchall()
        ]
        rows, quarantine, replaced = self._write(e, file_id, old)
        if old:
            self.con.execute(
                f"update {MANIFEST} set status = 'replaced', replaced_by = ? "
                "where file_id in (select unnest(?))",
                [file_id, old],
            )
        self._manifest(
            file_id,
            e,
            url,
            size,
            digest,
            "loaded",
            rows,
            len(quarantine),
            f"{len(quarantine)} row(s) quarantined" if quarantine else "",
        )
        return rows, len(quarantine), replaced

    def _write(self, e: Entity, file_id: str, old: list[str]):
        """Type and check the staged rows, remove the rows of `old` file versions, insert.

        Staged rows are `_cx_src`; a vendor reader's rows also carry `_src_file` (index of the
        file in `self._versions`) and `_src_ord` (record number in that file), so quarantined
        and excluded records name the vendor file and line they come from. Returns the rows
        inserted, the quarantine records (file index, line, reason, record) and the rows
        removed.
        """
        con = self.con
        con.execute(f"create temp table _cx_typed as {self._typed_select(e)}")
        if e.primary_key:
            self._flag_repeated_keys(e)
        rejects = self._structural_rejects()
        together = self._path is None
        where = "src._src_file, src._src_ord" if together else "0, t._ord"
        n_bad = con.execute("select count(*) from _cx_typed where len(_errors) > 0").fetchone()[0]
        bad = []
        if n_bad:
            bad = [
                ((f, k), why, rec)
                for f, k, why, rec in con.execute(
                    f"select {where}, list_aggregate(t._errors, 'string_agg', '; '), "
                    f"{self._record_expr(e)} from _cx_typed as t "
                    "join _cx_src as src on src._ord = t._ord "
                    "where len(t._errors) > 0 order by t._ord"
                ).fetchall()
            ]
        excluded = []
        if together:
            excluded = [
                ((f, k), why, day)
                for f, k, why, day in con.execute(
                    "select _src_file, _src_ord, reason, _record_date from _cx_excl order by 1, 2"
                ).fetchall()
            ]
        lines = self._physical_lines([b[0] for b in bad] + [x[0] for x in excluded], rejects)
        cols = ", ".join(_ident(n) for n in e.column_names)
        good = "(select * from _cx_typed where len(_errors) = 0)"
        replaced = 0
        if old:
            quoted = ", ".join(_sql_str(i) for i in old)
            log_changes(con, e, f"(select * from raw.{e.name} where _file_id in ({quoted}))")
            replaced = con.execute(
                f"delete from raw.{e.name} where _file_id in (select unnest(?))", [old]
            ).fetchone()[0]
            for table in (QUARANTINE, EXCLUDED):
                con.execute(f"delete from {table} where file_id in (select unnest(?))", [old])
        if e.primary_key:
            match = " and ".join(f"t.{_ident(k)} = g.{_ident(k)}" for k in e.primary_key)
            log_changes(con, e, f"(select t.* from raw.{e.name} as t semi join {good} as g on {match})")
            con.execute(f"delete from raw.{e.name} as t using {good} as g where {match}")
        params: list = [file_id]
        if together:  # a reader's rows: each names its own file version and record in it
            fid = "coalesce(list_extract(?, s._src_file + 1), ?)"
            row, join = "s._src_ord", " join _cx_src as s on s._ord = g._ord"
            params = [[v.file_id for v in self._versions], file_id]
        else:
            fid, row, join = "?", "g._ord", ""
        gcols = ", ".join(f"g.{_ident(n)}" for n in e.column_names)
        rows = con.execute(
            f"insert into raw.{e.name} ({cols}, attributes, _file_id, _row, _loaded_at) "
            f"select {gcols}, g.attributes, {fid}, {row}, now() from {good} as g{join}",
            params,
        ).fetchone()[0]
        log_changes(con, e, good)
        quarantine = self._store_rejects(e, rejects, bad, excluded, lines)
        return rows, quarantine, replaced

    def _store_rejects(self, e: Entity, rejects, bad, excluded, lines) -> list[tuple]:
        """Write quarantined and excluded records, each naming its file version and line."""
        quarantine = [(i, ln, reason, None) for i, ln, reason in rejects]
        quarantine += [(at[0], lines[at], reason, rec) for at, reason, rec in bad]
        v = self._versions
        if quarantine:
            self.con.executemany(
                f"insert into {QUARANTINE} values (?, ?, ?, ?, ?, ?, now())",
                [[v[i].file_id, e.name, v[i].url, ln, why, rec] for i, ln, why, rec in quarantine],
            )
        if excluded:
            self.con.executemany(
                f"insert into {EXCLUDED} values (?, ?, ?, ?, ?, ?)",
                [[v[at[0]].file_id, e.name, v[at[0]].url, lines[at], day, why] for at, why, day in excluded],
            )
        return quarantine

    def _flag_repeated_keys(self, e: Entity, per_file: bool = False) -> None:
        """Quarantine later rows that repeat a primary key inside the file (the first good row wins).

        A window over every row costs more than the rest of a small file's load, so it runs
        only when a cheap distinct count says some key repeats.
        """
        pk = ", ".join(f"t.{_ident(k)}" for k in e.primary_key)
        rows = "_cx_typed as t"
        if per_file:  # a scan of several files: a key may repeat once in each file
            pk = f"s._src_file, {pk}"
            rows += " join _cx_src as s on s._ord = t._ord"
        repeated = self.con.execute(
            f"select count(*) - count(distinct ({pk})) from {rows} where len(t._errors) = 0"
        ).fetchone()[0]
        if not repeated:
            return
        self.con.execute(
            "update _cx_typed set _errors = ['duplicate primary key "
            f"({', '.join(e.primary_key)}) of an earlier row in this file'] "
            "where _ord in (select _ord from (select t._ord, row_number() over "
            f"(partition by {pk} order by t._ord) as n from {rows} "
            "where len(t._errors) = 0) where n > 1)"
        )

    def _record_expr(self, e: Entity) -> str:
        """The quarantined row as JSON text, with identifier columns already hashed."""
        parts = []
        for n in self._header:
            v = f"nullif(src.{_ident(n)}, '')"
            canonical = n in e.column_names
            hashed = e.column(n).identifier if canonical else _looks_like_identifier(n)
            parts += [_sql_str(n), f"_cx_pseudo({v})" if hashed else v]
        return f"json_object({', '.join(parts)})" if parts else "null::json"

    def _structural_rejects(self) -> list[tuple[int, int, str]]:
        """Rows DuckDB's CSV reader could not split into the header's columns: (file index, line, reason)."""
        if self._fmt != "csv" or self._rejects_taken:
            return []
        # (a failed statement would abort the load's transaction: look before reading)
        if not self.con.execute(
            "select count(*) from duckdb_tables() where temporary and table_name = '_cx_rej'"
        ).fetchone()[0]:
            return []
        # a vendor unit's malformed CSV rows are quarantined once, under its first entity
        self._rejects_taken = self._path is None
        rows = self.con.execute(
            "select s.file_path, r.line, string_agg(distinct r.error_type, ', ' "
            "order by r.error_type), string_agg(distinct r.error_message, '; ' "
            "order by r.error_message) from _cx_rej as r join _cx_rej_scans as s "
            "using (scan_id, file_id) group by all order by 1, 2"
        ).fetchall()
        index = {}
        for i, v in enumerate(self._versions):
            index[v.path] = index[v.url] = i
        return [
            (index.get(path, 0), int(ln), f"malformed CSV row ({kind.lower()}): {msg}")
            for path, ln, kind, msg in rows
        ]

    def _physical_lines(
        self, records: list[tuple[int, int]], rejected: list[tuple[int, int, str]]
    ) -> dict[tuple[int, int], int]:
        """Map (file index, record number) of quarantined rows to physical lines (error path only).

        DuckDB numbers records, not lines: it skips blank lines and rows it rejected, and a
        quoted field may span lines. Re-reading the few files with bad rows with Python's csv
        module gives the exact line each quarantined record starts on.
        """
        out: dict[tuple[int, int], int] = {}
        for i in sorted({f for f, _ in records}):
            wanted = {k for f, k in records if f == i}
            mode = self._lines.get(i, "csv" if self._fmt == "csv" else "record")
            if mode == "record":  # JSON lines, a vendor's line records: one a line; Parquet: row number
                out.update({(i, k): k for k in wanted})
                continue
            skip = {ln for f, ln, _ in rejected if f == i}
            v = self._versions[i]
            path = v.path if self.local else self.fs._strip_protocol(v.url)
            found = 0
            with self.fs.open(path, "rb", compression="infer") as raw_fh:
                text = io.TextIOWrapper(raw_fh, encoding="utf-8-sig", errors="replace", newline="")
                reader = csv.reader(text)
                for _ in range(self._header_rows.get(i, 1)):
                    next(reader, None)
                last = reader.line_num
                k = 0
                for record in reader:
                    start, last = last + 1, reader.line_num
                    if not record or start in skip:
                        continue
                    k += 1
                    if k in wanted:
                        out[(i, k)] = start
                        found += 1
                        if found == len(wanted):
                            break
        return out


class _LandingView:
    """The landing location as a reader sees it while claiming folders (connectors.readers.base.Landing)."""

    def __init__(self, loader: Loader) -> None:
        self._loader = loader

    def _path(self, relpath: str) -> str:
        return f"{self._loader.root}/{relpath}"

    def exists(self, relpath: str) -> bool:
        return self._loader.fs.exists(self._path(relpath))

    def read_text(self, relpath: str) -> str:
        with self._loader.fs.open(self._path(relpath), "r") as fh:
            return fh.read()

    def url(self, relpath: str) -> str:
        return self._loader._url(self._path(relpath))


def _csv_source(targets: list[str], header: list[str], filename: str | None = None) -> str:
    """DuckDB's `read_csv` of canonical CSV files: every column of `header` as text, no sniffing,
    malformed rows kept aside in `_cx_rej`; `filename` names a column holding each row's file."""
    columns = ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in header)
    files = ", ".join(_sql_str(t) for t in targets)
    named = f"filename = {_sql_str(filename)}, " if filename else ""
    return (
        f"read_csv([{files}], header = true, auto_detect = false, columns = {{{columns}}}, "
        f"delim = ',', quote = '\"', escape = '\"', {named}"
        "store_rejects = true, rejects_table = '_cx_rej', rejects_scan = '_cx_rej_scans')"
    )


def _scans(pending: list[tuple[int, _Version, tuple[str, ...]]]) -> list[list[tuple]]:
    """Consecutive files with the same header, up to SCAN_BYTES (compressed) or SCAN_FILES each."""
    scans: list[list[tuple]] = []
    size = 0
    for item in pending:
        _, v, header = item
        fits = size + v.size <= SCAN_BYTES and len(scans[-1]) < SCAN_FILES if scans else False
        if fits and scans[-1][-1][2] == header:
            scans[-1].append(item)
            size += v.size
        else:
            scans.append([item])
            size = v.size
    return scans


def _row_rule_checks(e: Entity) -> list[str]:
    """The checks of the entity's row rules (schema.row_rules), on the typed values."""
    out = []
    for rule in schema.row_rules(e):
        cols = [_ident(c) for c in rule.columns]
        if rule.check == "not_before":
            *starts, end = rule.columns
            start = cols[0] if len(starts) == 1 else f"coalesce({', '.join(cols[:-1])})"
            named = " (or ".join(starts) + ")" * (len(starts) - 1)
            out.append(f"case when {cols[-1]} < {start} then '{end}: before {named}' end")
        elif rule.check == "non_negative":
            out += [
                f"case when {ref} < 0 then '{name}: negative: ' || {ref} end"
                for name, ref in zip(rule.columns, cols, strict=True)
            ]
        elif rule.check == "plain_id":
            out += [
                f"case when {ref} is not null and not regexp_full_match({ref}, "
                f"{_sql_str(schema.PLAIN_ID_PATTERN)}) then '{name}: not a plain identifier "
                "(white space at an end, or a control character)' end"
                for name, ref in zip(rule.columns, cols, strict=True)
            ]
        else:
            raise ValueError(f"unknown row rule {rule.check!r} of {e.name}")
    return out


def _file_id(url: str, digest: str) -> str:
    """The manifest key of one version of one file: its location and its content."""
    return hashlib.sha256(f"{url}\n{digest}".encode()).hexdigest()[:20]


def _json_path(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


def _first_line(s: str) -> str:
    return s.strip().splitlines()[0] if s.strip() else s


def _protocols(fs) -> tuple[str, ...]:
    p = fs.protocol
    return (p,) if isinstance(p, str) else tuple(p)
