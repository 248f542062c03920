-- Voice parts per unit of measure and local day: queues count segments (fct_voice_segments),
-- every level above counts each contact once (fct_voice_contacts). Rates are computed from
-- these sums in metric_values, never averaged.

with

segments as (

    select * from {{ ref('fct_voice_segments') }}

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
        where {{ unit }} is not null
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
