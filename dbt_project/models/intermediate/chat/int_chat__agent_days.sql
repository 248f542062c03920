-- Chat concurrency parts per CSS, unit of measure and local day (METRICS.md chat_concurrency):
-- chat_seconds = sum of (duration + wrap) of the CSS's handled chats; handling_seconds = length
-- of the UNION of their [first human response, end + wrap] intervals (gaps and islands), so
-- overlapping chats are not counted twice. Levels above sum these parts.
-- Incremental: a night rebuilds the days from the day before the first day its chat changes
-- reach (fct_chat_sessions rebuilds from that day; a UTC day is the day before west of UTC).

{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ incremental_delete_since('period_start', incremental_first_date(['chat_sessions', 'chat_messages'], 1, items=true)) }}",
) }}

{%- set first_date = incremental_first_date(['chat_sessions', 'chat_messages'], 1, items=true) %}

with

sessions as (

    select * from {{ ref('fct_chat_sessions') }}
    where is_handled and ended_at is not null

),

intervals as (

{% for level, unit, day in [
    ('queue', 'queue_id', 'chat_date'),
    ('site', 'site_id', 'chat_date'),
    ('program', 'program_id', 'chat_date'),
    ('client', 'client_id', 'chat_date'),
    ('channel', "'chat'", 'chat_date'),
    ('organisation', "'organisation'", 'chat_org_date'),
] %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            agent_id,
            {{ day }} as period_start,
            chat_id,
            first_human_response_at as interval_start,
            wrap_ended_at as interval_end,
            handle_seconds
        from sessions
        where {{ unit }} is not null and {{ incremental_since_date(day, first_date) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

ordered as (

    select
        *,
        -- the furthest end of every earlier interval of this CSS, unit and day
        max(interval_end) over (
            partition by unit_level, unit_id, agent_id, period_start
            order by interval_start, chat_id
            rows between unbounded preceding and 1 preceding
        ) as previous_max_end

    from intervals

),

islands as (

    select
        *,
        sum(
            case
                when previous_max_end is null or interval_start > previous_max_end then 1
                else 0
            end
        ) over (
            partition by unit_level, unit_id, agent_id, period_start
            order by interval_start, chat_id
            rows between unbounded preceding and current row
        ) as island_number

    from ordered

),

island_lengths as (

    select
        unit_level,
        unit_id,
        agent_id,
        period_start,
        island_number,
        {{ exact_sum('handle_seconds') }} as chat_seconds,
        {{ seconds_between('min(interval_start)', 'max(interval_end)') }} as handling_seconds

    from islands
    group by unit_level, unit_id, agent_id, period_start, island_number

),

final as (

    select
        unit_level,
        unit_id,
        agent_id,
        period_start,
        {{ exact_sum('chat_seconds') }} as chat_seconds,
        {{ exact_sum('handling_seconds') }} as handling_seconds

    from island_lengths
    group by unit_level, unit_id, agent_id, period_start

)

select * from final
