"""The reader interface: what a vendor reader claims in the landing, what it yields, and how the loader
stages its rows.

A reader turns one vendor's export into canonical entities of SOURCES.md, in SQL, and nothing
else: the loader types the staged rows, quarantines what does not type (with the vendor file and
line), pseudonymises identifiers, records every file version in the manifest and writes each
entity in one transaction per load unit. Readers never import the loader; the loader offers them
the `Staging` protocol below while a unit loads.

A reader says:

- which landing folders it claims (`claim`: by name, or by a file the folder holds, as the mapped
  call logs do with `_mapping.yml`);
- which canonical entities it yields (`Claim.entities`: several per reader, e.g. a queue_log gives
  `acd_contacts` and `agent_states`);
- how the folder's files make load units (`units`: one export file each, or the folder read
  together when its files only make rows together);
- for each entity, a staged table `_cx_src` (one row per canonical row, text columns, plus
  `_src_file`, the index of the unit file a row comes from, and `_src_ord`, its record number
  there) and `_cx_excl` (records that are not rows of the entity, with a reason), and how record
  numbers become lines for quarantine (`Staged.lines`).

What a vendor file cannot say (time zone, site, queue -> program) is read from the reader's key in
`<landing>/sources.yml` (`Staging.settings`); `Placement` is the shared shape of the site, program
and queue declarations.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Protocol

from .. import schema


class ReaderError(ValueError):
    """The unit cannot be read: a file, table or declaration is missing or wrong; the message says which."""


# Staged.time_zone when the reader leaves the zone to the entity's declaration in sources.yml.
ENTITY_ZONE = "<entity>"


@dataclass
class Claim:
    """A landing folder a reader claimed, with what it yields and what the reader read to decide."""

    reader: Reader
    folder: str
    entities: tuple[str, ...]
    config: object = None  # e.g. the parsed `_mapping.yml` of a mapped call log


@dataclass
class Unit:
    """What the loader loads in one transaction: one export file, or a folder of related files."""

    claim: Claim
    paths: list[str]
    together: bool = False  # several files make the rows together (the first one drives)
    # what a reader keeps between `prepare` and its `stage` calls while the unit loads
    state: dict = field(default_factory=dict)

    @property
    def reader(self) -> Reader:
        return self.claim.reader

    @property
    def folder(self) -> str:
        return self.claim.folder

    @property
    def entities(self) -> tuple[str, ...]:
        return self.claim.entities


@dataclass
class Staged:
    """What a reader staged for one entity: `_cx_src` (and `_cx_excl`), described for the loader."""

    # Columns of `_cx_src` to type: canonical ones by name; any other is kept in `attributes`.
    columns: list[str]
    # `_cx_src` has a `_reader_error` column: a non-empty reason quarantines the row.
    checks: bool = False
    # `_cx_src` also has a `_not_row` column: true for a record staged only to be quarantined with
    # its `_reader_error` (an unknown event, a line that is not a record), whose columns need not type.
    not_rows: bool = False
    # Zone of timestamps without a UTC offset: an IANA name, 'site' (each row's site), None (offsets
    # required) or ENTITY_ZONE (the entity's declaration in sources.yml).
    time_zone: str | None = ENTITY_ZONE
    # How a record number of file i becomes a line: 'csv' (records of a CSV file, re-read for their
    # physical line) or 'record' (the record number is the line: one record a line).
    lines: dict[int, str] = field(default_factory=dict)
    # CSV header records before the data, per file index (default 1).
    header_rows: dict[int, int] = field(default_factory=dict)


class FileVersion(Protocol):
    path: str  # path on the landing filesystem
    url: str  # what DuckDB reads and what the manifest records


class Staging(Protocol):
    """What the loader offers a reader while it stages a unit (inside the unit's transaction)."""

    con: object  # the DuckDB connection (temp tables live here)
    versions: list[FileVersion]  # the unit's files; `_src_file` is an index into it

    def settings(self, key: str) -> dict:
        """The reader's block of `<landing>/sources.yml` ({} when absent)."""

    def time_zone_for(self, entity: str) -> str | None:
        """The zone sources.yml declares for an entity (or for every entity)."""

    def csv_header(self, index: int) -> list[str]:
        """The header row of CSV file `index`, after checking the file is readable text."""

    def csv_records(self, index: int, n: int) -> list[list[str]]:
        """The first `n` records of CSV file `index` (e.g. the header rows of a native export)."""

    def read_csv(self, index: int, table: str, header: list[str] | None = None) -> list[str]:
        """CSV file `index` into temp table `table`: `_ord` (record number) and every column as text;
        rows that do not split into the header's columns are quarantined. Returns the header."""

    def read_lines(self, index: int, table: str) -> None:
        """Text file `index` into temp table `table`: `_ord` (line number) and `line` (text)."""

    def read_json(self, index: int, table: str) -> None:
        """JSON file `index` (one document, JSON lines, or concatenated values) into temp table
        `table`: `_ord` (value number, the line for JSON lines) and `json` (each top-level value)."""

    def temp(self, table: str) -> None:
        """Drop `table` when the unit is done."""


class Landing(Protocol):
    """The landing location, as a reader sees it while claiming folders."""

    def exists(self, relpath: str) -> bool: ...

    def read_text(self, relpath: str) -> str: ...

    def url(self, relpath: str) -> str: ...


# The sources.yml keys every vendor reader takes: the zone of timestamps without an offset, and
# where its rows belong (`Placement`).
COMMON_KEYS = ("time_zone", "site_id", "program_id", "queue_id", "queues")


class Reader:
    """A vendor export reader. Subclasses set `name`, `folders` and `entities` and write `stage`."""

    name: str  # the reader's key in sources.yml
    folders: tuple[str, ...] = ()  # landing folders it claims by name
    entities: tuple[str, ...] = ()  # canonical entities it yields
    tables: tuple[str, ...] = ()  # for folders of tables read together: their names, the driving one first
    required: tuple[str, ...] = ()  # tables a unit cannot do without
    keys: tuple[str, ...] = COMMON_KEYS  # the keys its sources.yml block may have (`declared`)

    def claim(self, landing: Landing, folder: str) -> Claim | None:
        """The folder's claim when this reader reads it, else None."""
        return Claim(self, folder, self.entities) if folder in self.folders else None

    def table_of(self, path: str) -> str | None:
        """The vendor table a file holds: its name without suffix, and without the `<name>_` prefix
        and `_data` suffix of Fivetran's seed files (`zendesk_ticket_data.csv` holds `ticket`)."""
        return stem(path).removeprefix(f"{self.name}_").removesuffix("_data")

    def units(self, claim: Claim, paths: list[str]) -> tuple[list[Unit], list[tuple[str, str]]]:
        """The load units of a claimed folder, and the files it does not read (with why).

        Default: the files named after `tables` are read together as one unit; a reader without
        `tables` reads every file of the folder together (a call's records may straddle files)."""
        if not self.tables:
            return ([Unit(claim, list(paths), together=True)] if paths else []), []
        by_table: dict[str, str] = {}
        skipped: list[tuple[str, str]] = []
        for p in paths:
            t = self.table_of(p)
            if t in self.tables and t not in by_table:
                by_table[t] = p
            else:
                skipped.append((p, f"not a table the {self.name} reader reads"))
        units = []
        if by_table:
            ordered = [by_table[t] for t in self.tables if t in by_table]
            units.append(Unit(claim, ordered, together=True))
        return units, skipped

    def prepare(self, st: Staging, unit: Unit) -> None:
        """Read what every entity of the unit needs, once (before the first `stage`)."""

    def fingerprint(self, st: Staging, claim: Claim) -> str:
        """What a unit is read with besides its files (the reader's sources.yml block, the entities'
        declared zones): when it changes, the loader reads the unit again."""
        data = {"declared": st.settings(self.name), "zones": {e: st.time_zone_for(e) for e in claim.entities}}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def stage(self, st: Staging, unit: Unit, entity: str) -> Staged:
        """Create `_cx_src` (and optionally `_cx_excl`) for one entity of the unit."""
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------------

    def present(self, unit: Unit) -> dict[str, int]:
        """Table name -> file index in the unit; ReaderError naming the required tables missing."""
        present = {self.table_of(p): i for i, p in enumerate(unit.paths)}
        lacking = [t for t in self.required if t not in present]
        if lacking:
            raise ReaderError(
                f"lacks table(s) {', '.join(lacking)} (CSV files named after the {self.title} table)"
            )
        return present

    def declared(self, st: Staging) -> tuple[dict, Placement]:
        """The reader's sources.yml block (ReaderError on a key not in `keys`) and its placement."""
        cfg = st.settings(self.name)
        reject_unknown_keys(cfg, self.name, self.keys)
        return cfg, Placement.read(cfg, self.name)

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").title()

    def read_table(self, st: Staging, index: int, table: str, required: Iterable[str] = ()) -> list[str]:
        """CSV file `index` into temp table `table`; its header, checked for `required` columns."""
        name = PurePosixPath(st.versions[index].path).name
        header = [n.strip() for n in st.csv_header(index)]
        missing = [c for c in required if c not in header]
        if missing:
            raise ReaderError(f"{name}: header lacks column(s) {', '.join(missing)}")
        dupes = sorted({n for n in header if header.count(n) > 1})
        if dupes:
            raise ReaderError(f"{name}: header repeats column(s) {', '.join(dupes)}")
        st.read_csv(index, table, header)
        st.temp(table)
        return header


def no_exclusions(st: Staging) -> None:
    """An empty `_cx_excl`: every record of the unit is a row (or quarantined)."""
    st.con.execute(
        "create temp table _cx_excl as select null::integer as _src_file, null::bigint as _src_ord, "
        "null::varchar as reason, null::date as _record_date where false"
    )


# -- SQL helpers ------------------------------------------------------------------------------------


def q(v: object) -> str:
    """A SQL string literal (NULL for None)."""
    if v is None:
        return "null"
    return "'" + str(v).replace("'", "''") + "'"


def in_list(values: Iterable[object]) -> str:
    """A SQL list of text values, `('a', 'b')`; never empty (an empty list would make `not in` NULL)."""
    return "(" + ", ".join(q(v) for v in (list(values) or ["<none>"])) + ")"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stem(path: str) -> str:
    """A file's name without its export suffix, lower-cased."""
    name = PurePosixPath(path).name.lower()
    for suffix in (*schema.SUFFIXES, ".json.gz", ".json", ".log", ".txt"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def values(rows: Iterable[tuple], cols: list[str]) -> str:
    """A small declared lookup as an inline relation of text columns (empty when nothing is declared)."""
    rows = list(rows)
    if not rows:
        nulls = ", ".join(f"null::varchar as {c}" for c in cols)
        return f"(select {nulls} where false)"
    body = ", ".join("(" + ", ".join(q(x) for x in r) + ")" for r in rows)
    return f"(select * from (values {body}) as t({', '.join(cols)}))"


def col(header: list[str], alias: str, name: str) -> str:
    """A column of a vendor table, trimmed and NULL when empty, or NULL when this export lacks it."""
    return f"nullif(trim({alias}.{ident(name)}), '')" if name in header else "null::varchar"


def code_map(default: dict[str, str], declared: object, where: str, allowed: Iterable[str]) -> dict[str, str]:
    """A vendor code -> canonical value map: the documented defaults, overridden by a declaration."""
    out = {k.lower(): v for k, v in default.items()}
    if declared is None:
        return out
    if not isinstance(declared, dict):
        raise ReaderError(f"sources.yml {where}: expected a mapping of vendor value -> canonical value")
    allowed = set(allowed)
    for k, v in declared.items():
        value = None if v is None else str(v).strip().lower()
        if value is not None and value not in allowed:
            raise ReaderError(f"sources.yml {where}.{k}: {v!r} is not one of {', '.join(sorted(allowed))}")
        out[str(k).strip().lower()] = value
    return out


def map_case(expr: str, mapping: dict[str, str | None], *, lower: bool = True) -> str:
    """`case <expr> when <vendor value> then <canonical> ... end` (NULL when not in the map)."""
    if not mapping:
        return "null::varchar"
    key = f"lower({expr})" if lower else expr
    whens = " ".join(f"when {q(k)} then {q(v)}" for k, v in mapping.items())
    return f"(case {key} {whens} end)"


@dataclass
class Placement:
    """Where a vendor's rows belong, as declared under its sources.yml key:

    ```yaml
    <reader>:
      site_id: LON            # every row's site, unless its queue says otherwise
      program_id: TELCO       # every row's program, unless its queue says otherwise
      queue_id: CHAT-1        # the queue of rows the export gives none (e.g. chats without a queue)
      queues:                 # per vendor queue (name or id): its cxmart queue id, program, site
        <vendor queue>: {queue_id: SUPPORT, program_id: TELCO, site_id: LON}
    ```
    """

    site_id: str | None = None
    program_id: str | None = None
    queue_id: str | None = None
    queues: list[tuple[str, str | None, str | None, str | None]] = field(default_factory=list)

    @classmethod
    def read(cls, cfg: dict, key: str) -> Placement:
        queues = cfg.get("queues") or {}
        if not isinstance(queues, dict):
            raise ReaderError(f"sources.yml {key}.queues: expected a mapping of vendor queue -> settings")
        rows = []
        for vendor, spec in queues.items():
            if spec is None:
                spec = {}
            if not isinstance(spec, dict) or set(spec) - {"queue_id", "program_id", "site_id"}:
                raise ReaderError(
                    f"sources.yml {key}.queues.{vendor}: expected {{queue_id, program_id, site_id}}"
                )
            rows.append((str(vendor), spec.get("queue_id"), spec.get("program_id"), spec.get("site_id")))

        def text(name: str) -> str | None:
            v = cfg.get(name)
            return None if v is None else str(v)

        return cls(text("site_id"), text("program_id"), text("queue_id"), rows)

    def relation(self) -> str:
        """The declared queues as a relation (vendor_queue, queue_id, program_id, site_id)."""
        return values(self.queues, ["vendor_queue", "queue_id", "program_id", "site_id"])

    def columns(self, vendor_queue: str, alias: str = "pq") -> dict[str, str]:
        """SQL for queue_id, program_id and site_id of a row whose vendor queue is `vendor_queue`,
        given `left join <relation()> as <alias> on <alias>.vendor_queue = <vendor_queue>`."""
        return {
            "queue_id": f"coalesce({alias}.queue_id, {vendor_queue}, {q(self.queue_id)})",
            "program_id": f"coalesce({alias}.program_id, {q(self.program_id)})",
            "site_id": f"coalesce({alias}.site_id, {q(self.site_id)})",
        }


def reject_unknown_keys(cfg: dict, key: str, known: Iterable[str]) -> None:
    """A declaration with a key the reader does not know is a typo, not something to ignore."""
    unknown = sorted(set(cfg) - set(known))
    if unknown:
        raise ReaderError(f"sources.yml {key}: unknown key(s) {', '.join(map(str, unknown))}")
