"""The dbt project follows the canonical schema: one source table and one staging model per raw entity."""

from __future__ import annotations

from pathlib import Path

import yaml

from cxmart.connectors import schema

DBT = Path(__file__).resolve().parents[1] / "dbt_project"


def _sources() -> dict[str, dict]:
    tables = {}
    for path in DBT.glob("models/staging/*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            if source["name"] == "audit":  # the completeness gate's results, not an export
                assert source["schema"] == "audit", path
                continue
            assert source["schema"] == "raw", path
            for table in source["tables"]:
                tables[table["name"]] = {"source": source["name"], **table}
    return tables


def test_every_raw_entity_is_a_dbt_source_with_the_canonical_columns():
    sources = _sources()
    assert set(sources) == {e.name for e in schema.ENTITIES}
    for e in schema.ENTITIES:
        table = sources[e.name]
        assert table["source"] == e.source
        declared = [c["name"] for c in table["columns"]]
        assert declared[: len(e.columns)] == e.column_names, e.name
        types = {c["name"]: c.get("data_type", "").lower() for c in table["columns"]}
        for c in e.columns:
            assert types[c.name] == c.type.lower(), (e.name, c.name)


def test_every_raw_entity_has_one_staging_model_that_alone_reads_its_source():
    for e in schema.ENTITIES:
        sql = (DBT / "models" / "staging" / e.source / f"{schema.staging_model_name(e)}.sql").read_text()
        assert f"source('{e.source}', '{e.name}')" in sql
    for sql_path in DBT.glob("models/**/*.sql"):
        if "staging" not in sql_path.parts:
            assert "source(" not in sql_path.read_text(), sql_path
