"""The mart gate's suite on `mart.metric_values`, and the compact profile frame it validates.

The frame has one row per metric x unit x month (both grains of the month together), built in
DuckDB from the mart and from raw:
- `missing_metric`: 1 when a required metric (`reference.metric_gate.required`) has no
  site-level month row although its driving source (the first of its `source_entities`) has
  rows at that site in that month;
- `outside_unit_interval`: rows of a proportion (`metric_gate.proportion`) with a value
  outside [0, 1];
- `null_without_reason`: rows with a NULL value and no `not_countable_reason`.
"""

from __future__ import annotations

from .raw import SOURCES, GateSettings, _day_sql

INDEX_COLUMNS = ["metric_id", "unit_level", "unit_id", "month"]
CHECKS = ("missing_metric", "outside_unit_interval", "null_without_reason")


def _source_months(entity: str, gs: GateSettings) -> str:
    src = SOURCES[entity]
    site_join = f"left join raw.sites as _s on _s.site_id = {src.site}" if src.site else ""
    return (
        f"select distinct '{entity}' as entity, {src.site} as site_id, "
        f"date_trunc('month', {_day_sql(src, gs)}) as month "
        f"from raw.{entity} as t {src.joins} {site_join}"
    )


def profile_sql(driving_entities: list[str], gs: GateSettings) -> str:
    sources = [e for e in driving_entities if e in SOURCES and SOURCES[e].site and SOURCES[e].at]
    months = " union all ".join(_source_months(e, gs) for e in sources) or (
        "select null::varchar as entity, null::varchar as site_id, null::date as month where false"
    )
    return f"""
        with
        rules as (
            select metric_id, proportion, required,
                string_split(trim(source_entities), ' ')[1] as driving_entity
            from reference.metric_gate
        ),
        source_months as ({months}),
        expected as (
            select r.metric_id, 'site' as unit_level, m.site_id as unit_id, cast(m.month as date) as month
            from rules as r inner join source_months as m on m.entity = r.driving_entity
            where r.required and m.site_id is not null and m.month is not null
        ),
        actual as (
            select v.metric_id, v.unit_level, v.unit_id,
                cast(date_trunc('month', v.period_start) as date) as month,
                count(*) as rows,
                count(*) filter (where coalesce(r.proportion, false) and (v.value < 0 or v.value > 1))
                    as outside_unit_interval,
                count(*) filter (where v.value is null and v.not_countable_reason is null)
                    as null_without_reason
            from mart.metric_values as v left join rules as r on r.metric_id = v.metric_id
            group by all
        )
        select
            coalesce(a.metric_id, e.metric_id) as metric_id,
            coalesce(a.unit_level, e.unit_level) as unit_level,
            coalesce(a.unit_id, e.unit_id) as unit_id,
            coalesce(a.month, e.month) as month,
            coalesce(a.rows, 0) as rows,
            case when e.metric_id is not null and a.metric_id is null then 1 else 0 end as missing_metric,
            coalesce(a.outside_unit_interval, 0) as outside_unit_interval,
            coalesce(a.null_without_reason, 0) as null_without_reason
        from actual as a
        full outer join expected as e
            on e.metric_id = a.metric_id and e.unit_level = a.unit_level
            and e.unit_id = a.unit_id and e.month = a.month
        order by 1, 2, 3, 4
    """


def suite_expectations() -> list:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToBeBetween(
            column=c, min_value=0, max_value=0, meta={"check": c, "expected": "0"}
        )
        for c in CHECKS
    ]
