-- mart.metric_targets: the targets seed (seeds/metric_targets.csv, which data engineers edit),
-- typed, one row per seed row; the seed's checks are the data tests of this model and
-- tests/assert_metric_targets_consistent.sql. The model is aliased, as a seed of the same name
-- already exists (the file people edit keeps the table's name).

{{ config(alias='metric_targets') }}

with

targets as (

    select * from {{ ref('metric_targets') }}

),

final as (

    select
        cast(metric_id as string) as metric_id,
        cast(unit_level as string) as unit_level,
        cast(unit_id as string) as unit_id,
        cast(target_value as double) as target_value,
        cast(target_low as double) as target_low,
        cast(target_high as double) as target_high,
        cast(direction as string) as direction,
        cast(basis as string) as basis,
        cast(effective_from as date) as effective_from,
        cast(effective_to as date) as effective_to,
        cast(note as string) as note
    from targets

)

select * from final
