-- Voice parts per unit of measure and local day: queues count segments (fct_voice_segments),
-- every level above counts each contact once (fct_voice_contacts). Rates are computed from
-- these sums in metric_values, never averaged.
-- Incremental: a night rebuilds the days from the day before the first UTC day the voice facts
-- rebuild from (a day row sums that day's facts only; macros/incremental.sql).

{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ incremental_delete_since('period_start', incremental_first_date(['acd_contacts'], 1, items=true)) }}",
) }}

{%- set first_date = incremental_first_date(['acd_contacts'], 1, items=true) %}

with

segments as (

    select * from {{ ref('fct_voice_segments') }}
    where {{ incremental_since_date('offered_date', first_date) }}

),

contacts as (

    select * from {{ ref('fct_voice_contacts') }}

),

queue_days as (

    select
        'queue' as unit_level,
        queue_id as unit_id,
        offered_date as period_start,
        {{ voice_parts() }}
    from segments
    where queue_id is not null
    group by queue_id, offered_date

),

{# the queue level counts segments (above); every other level counts contacts #}
{% for level, unit, day in unit_levels("'voice'", 'offered_date', 'offered_org_date')[1:] %}
    {{ level }}_days as (

        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            {{ day }} as period_start,
            {{ voice_parts() }}
        from contacts
        where {{ unit }} is not null and {{ incremental_since_date(day, first_date) }}
        group by {{ unit }}, {{ day }}

    ),

{% endfor %}
final as (

    select * from queue_days
    union all
    select * from site_days
    union all
    select * from program_days
    union all
    select * from client_days
    union all
    select * from channel_days
    union all
    select * from organisation_days

)

select * from final
