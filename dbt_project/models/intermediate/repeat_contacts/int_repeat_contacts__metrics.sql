-- repeat_contact_rate in long form: handled contacts followed by another contact of the same
-- customer within the window, over handled contacts with a known customer, per unit and period.
-- The channel unit is the handled contact's own channel.

with

contacts as (

    select * from {{ ref('int_repeat_contacts__contacts') }}
    where is_handled

),

{% for level, unit, day in unit_levels('channel', 'contact_date', 'contact_org_date') %}
    {{ level }}_days as (

        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            {{ day }} as period_start,
            count(*) filter (where is_repeated) as repeated,
            count(*) as handled
        from contacts
        where {{ unit }} is not null
        group by {{ unit }}, {{ day }}

    ),

{% endfor %}
days as (

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

),

periods as (

    select
        unit_level,
        unit_id,
        'day' as period_grain,
        period_start,
        repeated,
        handled
    from days

    union all

    select
        unit_level,
        unit_id,
        'month' as period_grain,
        cast(date_trunc('month', period_start) as date) as period_start,
        sum(repeated) as repeated,
        sum(handled) as handled
    from days
    group by unit_level, unit_id, date_trunc('month', period_start)

),

final as (

    select
        unit_level,
        unit_id,
        period_grain,
        period_start,
        'repeat_contact_rate' as metric_id,
        repeated as numerator,
        handled as denominator
    from periods

)

select * from final
