-- Chat metrics in long form (METRICS.md section 2): numerator and denominator per metric, unit
-- of measure and period (local day, and month summed from the days). metric_values adds the
-- dictionary and computes the value. Where no chat of a unit and period was offered through a
-- queue whose abandonment is measurable, chat_abandon_rate says 'not_measurable'.
-- chat_availability comes from int_digital__metrics.

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
        {{ exact_sum('chat_seconds') }} as chat_seconds,
        {{ exact_sum('handling_seconds') }} as handling_seconds
    from agent_days
    group by unit_level, unit_id, period_start

    union all

    select
        'agent' as unit_level,
        agent_id as unit_id,
        period_start,
        {{ exact_sum('chat_seconds') }} as chat_seconds,
        {{ exact_sum('handling_seconds') }} as handling_seconds
    from agent_days
    where unit_level = 'channel'
    group by agent_id, period_start

),

day_metrics as (

    select
        d.unit_level,
        d.unit_id,
        d.period_start,
        metric_parts.metric_id,
        metric_parts.numerator,
        metric_parts.denominator
    from chat_days as d
    -- chat_abandon_rate: only chats of queues where abandonment is measurable (DECISIONLOG "Chat:
    -- Button Shown Only When a CSS Is Free")
    cross join
        {{ rows_of('metric_parts', ['metric_id', 'numerator', 'denominator'], [
            ("'chat_offered'", 'd.offered', 'null'),
            ("'chat_abandoned'", 'd.abandoned', 'null'),
            ("'chat_short_abandoned'", 'd.short_abandoned', 'null'),
            ("'chat_handled'", 'd.handled', 'null'),
            ("'chat_service_level'", 'd.responded_within_sl', 'd.offered - d.short_abandoned'),
            ("'chat_asa'", 'd.responded_wait_seconds', 'd.responded'),
            ("'chat_abandon_rate'", 'd.measurable_abandoned', 'd.measurable_offered'),
            ("'chat_session_abandon_rate'", 'd.session_abandoned', 'd.established'),
            ("'chat_css_response_time'", 'd.response_gap_seconds', 'd.response_pairs'),
            ("'chat_act'", 'd.handle_seconds', 'd.handled'),
            ("'chat_proactive_acceptance_rate'", 'd.accepted', 'd.invited'),
        ]) }}

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

-- offered chats whose abandonment cannot be measured, per chat_abandon_rate row
unmeasurable_days as (

    select
        day_metrics.*,
        case
            when day_metrics.metric_id = 'chat_abandon_rate'
                then chat_days.offered - chat_days.measurable_offered
        end as unmeasurable
    from day_metrics
    left join chat_days
        on
            day_metrics.unit_level = chat_days.unit_level
            and day_metrics.unit_id = chat_days.unit_id
            and day_metrics.period_start = chat_days.period_start

),

periods as (

    {{ day_and_month_rows('unmeasurable_days', ['numerator', 'denominator', 'unmeasurable']) }}

),

final as (

    select
        {{ star_except(['unmeasurable']) }},
        case
            when denominator = 0 and unmeasurable > 0 then 'not_measurable'
        end as not_countable_reason
    from periods

)

select * from final
