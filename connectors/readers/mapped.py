"""Any vendor's call-detail CSV turned into a canonical entity by a `_mapping.yml`, without code.

A landing folder holding a `_mapping.yml` (whatever its name) is claimed by this reader: every CSV
in it is one load unit, read with its own header and mapped to the mapping's target entity
(`connectors/mapping.py` documents the mapping keys). Records the mapping excludes are counted in
`raw._excluded` with their file, line, record date and reason.
"""

from __future__ import annotations

import dataclasses
import hashlib

import yaml

from ..mapping import MAPPING_FILE, Mapping, MappingError
from .base import Claim, Landing, Reader, ReaderError, Staged, Staging, Unit


class MappedReader(Reader):
    name = "mapped"

    def claim(self, landing: Landing, folder: str) -> Claim | None:
        rel = f"{folder}/{MAPPING_FILE}"
        if not landing.exists(rel):
            return None
        try:
            mapping = Mapping.from_dict(yaml.safe_load(landing.read_text(rel)), landing.url(rel))
        except (yaml.YAMLError, MappingError) as exc:
            raise ReaderError(f"{landing.url(rel)}: {exc}") from exc
        return Claim(self, folder, (mapping.target.name,), config=mapping)

    def fingerprint(self, st: Staging, claim: Claim) -> str:
        """A mapped file is read with its mapping (not sources.yml): a changed mapping reads it again."""
        return hashlib.sha256(repr(dataclasses.asdict(claim.config)).encode()).hexdigest()[:16]

    def units(self, claim: Claim, paths: list[str]) -> tuple[list[Unit], list[tuple[str, str]]]:
        return [Unit(claim, [p]) for p in paths], []

    def stage(self, st: Staging, unit: Unit, entity: str) -> Staged:
        mapping: Mapping = unit.claim.config
        if not st.versions[0].path.lower().endswith((".csv", ".csv.gz")):
            raise ReaderError("a mapped source is read from CSV (.csv or .csv.gz) files")
        header = st.csv_header(0)
        st.read_csv(0, "_cx_raw", header)
        try:
            sql, mapped = mapping.select(header)
        except MappingError as exc:
            raise ReaderError(f"{MAPPING_FILE}: {exc}") from exc
        st.temp("_cx_m_all")
        st.con.execute(f"create temp table _cx_m_all as {sql}")
        st.con.execute(
            "create temp table _cx_src as select * exclude (_exclude, _record_date), "
            "0 as _src_file, _ord as _src_ord from _cx_m_all where _exclude is null"
        )
        st.con.execute(
            "create temp table _cx_excl as select 0 as _src_file, _ord as _src_ord, "
            "_exclude as reason, _record_date from _cx_m_all where _exclude is not null"
        )
        # The mapping's own zone (none: offsets required), not the entity's declaration.
        return Staged(columns=mapped, time_zone=mapping.time_zone)
