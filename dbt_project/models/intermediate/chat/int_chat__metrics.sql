-- Chat metrics in long form (METRICS.md section 2): numerator and denominator per metric, unit
-- of measure and period (local day, and month summed from the days). metric_values adds the
-- dictionary and computes the value. chat_availability comes from int_digital__metrics.

with

sessions as (

    select * from {{ ref('fct_chat_sessions') }}

),

agent_days as (

    select * from {{ ref('int_chat__agent_days') }}

),

chat_days as (

    {% for level, unit, day in unit_levels("'chat'", 'chat_date', 'chat_org_date') %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            {{ day }} as period_start,
            {{ chat_parts() }}
        from sessions
        where {{ unit }} is not null and {{ day }} is not null
        group by {{ unit }}, {{ day }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- concurrency: summed over the CSSs of each unit; the agent level is each CSS's channel rows
concurrency_days as (

    select
        unit_level,
        unit_id,
        period_start,
        sum(chat_seconds) as chat_seconds,
        sum(handling_seconds) as handling_seconds
    from agent_days
    group by unit_level, unit_id, period_start

    union all

    select
        'agent' as unit_level,
        agent_id as unit_id,
        period_start,
        sum(chat_seconds) as chat_seconds,
        sum(handling_seconds) as handling_seconds
    from agent_days
    where unit_level = 'channel'
    group by agent_id, period_start

),

day_metrics as (

    select
        d.unit_level,
        d.unit_id,
        d.period_start,
        struct_extract(metric_parts.part, 'metric_id') as metric_id,
        struct_extract(metric_parts.part, 'numerator') as numerator,
        struct_extract(metric_parts.part, 'denominator') as denominator
    from chat_days as d
    cross join
        unnest([
            { 'metric_id': 'chat_offered', 'numerator': d.offered, 'denominator': null },
            { 'metric_id': 'chat_abandoned', 'numerator': d.abandoned, 'denominator': null },
            {
                'metric_id': 'chat_short_abandoned',
                'numerator': d.short_abandoned,
                'denominator': null
            },
            { 'metric_id': 'chat_handled', 'numerator': d.handled, 'denominator': null },
            {
                'metric_id': 'chat_service_level',
                'numerator': d.responded_within_sl,
                'denominator': d.offered - d.short_abandoned
            },
            {
                'metric_id': 'chat_asa',
                'numerator': d.responded_wait_seconds,
                'denominator': d.responded
            },
            {
                'metric_id': 'chat_abandon_rate',
                'numerator': d.abandoned,
                'denominator': d.offered
            },
            {
                'metric_id': 'chat_session_abandon_rate',
                'numerator': d.session_abandoned,
                'denominator': d.established
            },
            {
                'metric_id': 'chat_css_response_time',
                'numerator': d.response_gap_seconds,
                'denominator': d.response_pairs
            },
            {
                'metric_id': 'chat_act',
                'numerator': d.handle_seconds,
                'denominator': d.handled
            },
            {
                'metric_id': 'chat_proactive_acceptance_rate',
                'numerator': d.accepted,
                'denominator': d.invited
            }
        ]) as metric_parts (part)

    union all

    select
        unit_level,
        unit_id,
        period_start,
        'chat_concurrency' as metric_id,
        chat_seconds as numerator,
        handling_seconds as denominator
    from concurrency_days

),

final as (

    select
        unit_level,
        unit_id,
        'day' as period_grain,
        period_start,
        metric_id,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator
    from day_metrics

    union all

    select
        unit_level,
        unit_id,
        'month' as period_grain,
        cast(date_trunc('month', period_start) as date) as period_start,
        metric_id,
        sum(cast(numerator as double)) as numerator,
        sum(cast(denominator as double)) as denominator
    from day_metrics
    group by unit_level, unit_id, date_trunc('month', period_start), metric_id

)

select * from final
