-- Point-in-time backlog: one row per ticket that is open and past due at a local end-of-day
-- snapshot. Open means its last status event at or before the snapshot is not solved/closed
-- (no event yet: not completed by then), so a re-run for a past date gives the same answer.
-- Two clocks: the site's zone (queue to channel levels) and the organisation's zone.
-- Decisions: DECISIONLOG.md, "Tickets".
-- Incremental: a night rebuilds the snapshots from the day before the first day its changes
-- reach (macros/incremental.sql); each snapshot reads every ticket open then.

{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ incremental_delete_dates('snapshot_date', ['tickets', 'ticket_events']) }}",
) }}

{%- set first_date = incremental_from_date(['tickets', 'ticket_events'], 'snapshot_date') %}

with

tickets as (

    select * from {{ ref('fct_tickets') }}
    where due_at is not null

),

events as (

    select * from {{ ref('stg_ticketing__ticket_events') }}

),

windows as (

    select * from {{ ref('int_tickets__business_windows') }}

),

-- the last change of each item: once closed for good, it needs no later snapshots
last_changes as (

    select
        ticket_id,
        max(event_at) as last_event_at,
        {{ arg_max('status_to', 'event_at') }} as last_status
    from events
    group by ticket_id

),

closed_for_good as (

    select
        tickets.ticket_id,
        greatest(tickets.completed_at, last_changes.last_event_at) as closed_for_good_at
    from tickets
    left join last_changes on tickets.ticket_id = last_changes.ticket_id
    where
        case
            when last_changes.last_status is not null
                then last_changes.last_status in ('solved', 'closed')
            else tickets.completed_at is not null
        end

),

bounds as (

    select
        cast(min(received_at) as date) - 1 as first_date,
        cast(
            greatest(
                max(received_at),
                max(completed_at),
                (select max(events.event_at) from events)
            ) as date
        ) + 1 as last_date
    from tickets

),

snapshot_dates as (

    select date_series.snapshot_date
    from bounds
    cross join
        {{ date_series('bounds.first_date', 'bounds.last_date', 'date_series', 'snapshot_date') }}
    {%- if first_date is not none %}
        where date_series.snapshot_date >= date '{{ first_date }}'
    {%- endif %}

),

clocks as (

    select
        'site' as clock,
        tickets.site_time_zone as time_zone,
        tickets.*
    from tickets

    union all

    select
        'organisation' as clock,
        {{ org_time_zone() }} as time_zone,
        tickets.*
    from tickets

),

candidates as (

    select
        clocks.clock,
        clocks.ticket_id,
        clocks.queue_id,
        clocks.site_id,
        clocks.program_id,
        clocks.client_id,
        clocks.channel,
        clocks.calendar_id,
        clocks.due_at,
        clocks.received_at,
        clocks.completed_at,
        snapshot_dates.snapshot_date,
        -- end of the local day = the next local midnight
        {{ from_local(
            'cast(snapshot_dates.snapshot_date + 1 as timestamp)', 'clocks.time_zone'
        ) }} as snapshot_at
    from clocks
    left join closed_for_good on clocks.ticket_id = closed_for_good.ticket_id
    inner join snapshot_dates
        on
            snapshot_dates.snapshot_date
            >= cast({{ to_local('clocks.due_at', 'clocks.time_zone') }} as date)
            and snapshot_dates.snapshot_date
            < (select b.last_date from bounds as b)
            and snapshot_dates.snapshot_date
            <= coalesce(
                cast(
                    {{ to_local('closed_for_good.closed_for_good_at', 'clocks.time_zone') }} as date
                ),
                snapshot_dates.snapshot_date
            )

),

as_of as (

    select
        candidates.clock,
        candidates.ticket_id,
        candidates.snapshot_date,
        {{ arg_max('events.status_to', 'events.event_at') }} as status_as_of
    from candidates
    inner join events
        on
            candidates.ticket_id = events.ticket_id
            and candidates.snapshot_at >= events.event_at
    group by candidates.clock, candidates.ticket_id, candidates.snapshot_date

),

-- opening time of the queue's calendar between the due time and the snapshot
business_lateness as (

    select
        candidates.clock,
        candidates.ticket_id,
        candidates.snapshot_date,
        {% call exact_sum() %}
            {{ seconds_between(
                'greatest(windows.window_start_at, candidates.due_at)',
                'least(windows.window_end_at, candidates.snapshot_at)'
            ) }}
        {% endcall %} / 3600.0 as lateness_business_hours
    from candidates
    inner join windows
        on
            candidates.queue_id = windows.queue_id
            and candidates.due_at < windows.window_end_at
            and candidates.snapshot_at > windows.window_start_at
    where candidates.calendar_id is not null
    group by candidates.clock, candidates.ticket_id, candidates.snapshot_date

),

final as (

    select
        candidates.*,
        as_of.status_as_of,
        {{ seconds_between(
            'candidates.due_at', 'candidates.snapshot_at'
        ) }} / 3600.0 as lateness_calendar_hours,
        case
            when candidates.calendar_id is not null
                then coalesce(business_lateness.lateness_business_hours, 0)
        end as lateness_business_hours,
        -- the metric's lateness: business hours when the queue has a calendar
        coalesce(
            lateness_business_hours, lateness_calendar_hours
        ) as lateness_hours,
        -- the month's snapshot: its last day, or the run's last day for a month not yet over
        candidates.snapshot_date = least(
            last_day(candidates.snapshot_date), bounds.last_date - 1
        ) as is_month_snapshot
    from candidates
    cross join bounds
    left join as_of
        on
            candidates.clock = as_of.clock
            and candidates.ticket_id = as_of.ticket_id
            and candidates.snapshot_date = as_of.snapshot_date
    left join business_lateness
        on
            candidates.clock = business_lateness.clock
            and candidates.ticket_id = business_lateness.ticket_id
            and candidates.snapshot_date = business_lateness.snapshot_date
    where
        candidates.due_at < candidates.snapshot_at
        and candidates.received_at < candidates.snapshot_at
        and case
            when as_of.status_as_of is not null
                then as_of.status_as_of not in ('solved', 'closed')
            else candidates.completed_at is null or candidates.completed_at > candidates.snapshot_at
        end

)

select * from final
