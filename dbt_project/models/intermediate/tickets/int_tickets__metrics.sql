-- Ticket metrics in long form (METRICS.md section 3): numerator and denominator per metric, unit
-- of measure and period (local day, and month). Flow metrics sum their days into the month;
-- backlog is a point-in-time measure, so its month row is the month-end snapshot.
-- metric_values adds the dictionary and computes the value. Decisions: DECISIONLOG.md, "Tickets".

with

tickets as (

    select * from {{ ref('fct_tickets') }}

),

cases as (

    select * from {{ ref('fct_cases') }}
    where is_closed

),

productive_time as (

    select * from {{ ref('int_tickets__productive_time') }}

),

backlog as (

    select * from {{ ref('int_tickets__backlog_snapshots') }}

),

-- one row per ticket and thing that happened to it, dated on both clocks
happenings as (

    select
        queue_id,
        site_id,
        program_id,
        client_id,
        channel,
        received_date as site_date,
        received_org_date as org_date,
        1 as received,
        0 as completed,
        0 as completed_on_time,
        0 as first_solved,
        0 as reopened,
        0 as responded,
        0 as responded_on_time,
        0 as cases_closed,
        0 as cases_closed_on_time,
        0 as productive_hours,
        0 as handled_items,
        0 as handle_seconds
    from tickets
    where received_at is not null

    union all

    select
        queue_id,
        site_id,
        program_id,
        client_id,
        channel,
        completed_date as site_date,
        completed_org_date as org_date,
        0 as received,
        1 as completed,
        cast(coalesce(is_on_time, false) as integer) as completed_on_time,
        0 as first_solved,
        0 as reopened,
        0 as responded,
        0 as responded_on_time,
        0 as cases_closed,
        0 as cases_closed_on_time,
        0 as productive_hours,
        -- ticket_aht: completed items whose handle time the system captured (DECISIONLOG
        -- "Tickets: Items per Productive Hour, and Ticket AHT Where Handle Time Is Captured")
        cast(handle_seconds is not null as integer) as handled_items,
        coalesce(handle_seconds, 0) as handle_seconds
    from tickets
    where completed_at is not null

    union all

    -- the reopen rate counts an item once, on its first solve: the 14-day window runs from it
    -- (DECISIONLOG "Tickets: a Reopen Counts on the First Solve")
    select
        queue_id,
        site_id,
        program_id,
        client_id,
        channel,
        first_solved_date as site_date,
        first_solved_org_date as org_date,
        0 as received,
        0 as completed,
        0 as completed_on_time,
        1 as first_solved,
        cast(is_reopened_within_14_days as integer) as reopened,
        0 as responded,
        0 as responded_on_time,
        0 as cases_closed,
        0 as cases_closed_on_time,
        0 as productive_hours,
        0 as handled_items,
        0 as handle_seconds
    from tickets
    where first_solved_at is not null

    union all

    select
        queue_id,
        site_id,
        program_id,
        client_id,
        channel,
        responded_date as site_date,
        responded_org_date as org_date,
        0 as received,
        0 as completed,
        0 as completed_on_time,
        0 as first_solved,
        0 as reopened,
        1 as responded,
        cast(coalesce(is_responded_on_time, false) as integer) as responded_on_time,
        0 as cases_closed,
        0 as cases_closed_on_time,
        0 as productive_hours,
        0 as handled_items,
        0 as handle_seconds
    from tickets
    where first_response_at is not null

    union all

    select
        queue_id,
        site_id,
        program_id,
        client_id,
        channel,
        closed_date as site_date,
        closed_org_date as org_date,
        0 as received,
        0 as completed,
        0 as completed_on_time,
        0 as first_solved,
        0 as reopened,
        0 as responded,
        0 as responded_on_time,
        1 as cases_closed,
        cast(is_closed_on_time as integer) as cases_closed_on_time,
        0 as productive_hours,
        0 as handled_items,
        0 as handle_seconds
    from cases

    union all

    select
        queue_id,
        site_id,
        program_id,
        client_id,
        channel,
        site_date,
        org_date,
        0 as received,
        0 as completed,
        0 as completed_on_time,
        0 as first_solved,
        0 as reopened,
        0 as responded,
        0 as responded_on_time,
        0 as cases_closed,
        0 as cases_closed_on_time,
        productive_hours,
        0 as handled_items,
        0 as handle_seconds
    from productive_time

),

{% set levels = unit_levels('channel', 'site_date', 'org_date') %}

flow_days as (

    {% for level, unit, day in levels %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            {{ day }} as period_start,
            sum(received) as received,
            sum(completed) as completed,
            sum(completed_on_time) as completed_on_time,
            sum(first_solved) as first_solved,
            sum(reopened) as reopened,
            sum(responded) as responded,
            sum(responded_on_time) as responded_on_time,
            sum(cases_closed) as cases_closed,
            sum(cases_closed_on_time) as cases_closed_on_time,
            {{ exact_sum('productive_hours') }} as productive_hours,
            sum(handled_items) as handled_items,
            {{ exact_sum('handle_seconds') }} as handle_seconds
        from happenings
        where {{ unit }} is not null
        group by all
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

backlog_days as (

    {% for level, unit, day in levels %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            snapshot_date as period_start,
            bool_or(is_month_snapshot) as is_month_snapshot,
            count(*) as backlog_items,
            {{ exact_sum('lateness_hours') }} as backlog_lateness_hours
        from backlog
        where
            clock = '{{ 'organisation' if level == 'organisation' else 'site' }}'
            and {{ unit }} is not null
        group by all
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

flow_periods as (

    select
        unit_level,
        unit_id,
        'day' as period_grain,
        period_start,
        {{ star_except(['unit_level', 'unit_id', 'period_start']) }}
    from flow_days

    union all

    select
        unit_level,
        unit_id,
        'month' as period_grain,
        cast(date_trunc('month', period_start) as date) as period_start,
        sum(received) as received,
        sum(completed) as completed,
        sum(completed_on_time) as completed_on_time,
        sum(first_solved) as first_solved,
        sum(reopened) as reopened,
        sum(responded) as responded,
        sum(responded_on_time) as responded_on_time,
        sum(cases_closed) as cases_closed,
        sum(cases_closed_on_time) as cases_closed_on_time,
        {{ exact_sum('productive_hours') }} as productive_hours,
        sum(handled_items) as handled_items,
        {{ exact_sum('handle_seconds') }} as handle_seconds
    from flow_days
    group by unit_level, unit_id, date_trunc('month', period_start)

),

backlog_periods as (

    select
        unit_level,
        unit_id,
        'day' as period_grain,
        period_start,
        backlog_items,
        backlog_lateness_hours
    from backlog_days

    union all

    select
        unit_level,
        unit_id,
        'month' as period_grain,
        cast(date_trunc('month', period_start) as date) as period_start,
        backlog_items,
        backlog_lateness_hours
    from backlog_days
    where is_month_snapshot

),

flow_metrics as (

    select
        p.unit_level,
        p.unit_id,
        p.period_grain,
        p.period_start,
        metric_parts.metric_id,
        metric_parts.numerator,
        metric_parts.denominator
    from flow_periods as p
    cross join
        {{ rows_of('metric_parts', ['metric_id', 'numerator', 'denominator'], [
            ("'ticket_received'", 'p.received', 'null'),
            ("'ticket_completed'", 'p.completed', 'null'),
            ("'ticket_timeliness'", 'p.completed_on_time', 'p.completed'),
            ("'ticket_first_response_timeliness'", 'p.responded_on_time', 'p.responded'),
            ("'ticket_reopen_rate'", 'p.reopened', 'p.first_solved'),
            ("'case_end_to_end_timeliness'", 'p.cases_closed_on_time', 'p.cases_closed'),
            ("'ticket_items_per_hour'", 'p.completed', 'p.productive_hours'),
            ("'ticket_aht'", 'p.handle_seconds', 'p.handled_items'),
        ]) }}

),

backlog_metrics as (

    select
        p.unit_level,
        p.unit_id,
        p.period_grain,
        p.period_start,
        metric_parts.metric_id,
        metric_parts.numerator,
        metric_parts.denominator
    from backlog_periods as p
    cross join
        {{ rows_of('metric_parts', ['metric_id', 'numerator', 'denominator'], [
            ("'ticket_backlog_count'", 'cast(p.backlog_items as double)', 'null'),
            (
                "'ticket_backlog_avg_lateness'",
                'p.backlog_lateness_hours',
                'cast(p.backlog_items as double)',
            ),
        ]) }}

),

final as (

    select * from flow_metrics
    union all
    select * from backlog_metrics

)

select * from final
