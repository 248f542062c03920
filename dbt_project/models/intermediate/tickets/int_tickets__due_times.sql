-- One row per ticket with its due time: the export's SLA due time when given, else received_at
-- plus the queue's cycle time counted in business hours of the queue's calendar (site zone,
-- opening hours, holidays), else in calendar hours when the queue has no calendar.
-- Decisions: DECISIONLOG.md, "Tickets".
-- Incremental: a night computes the due times of the tickets its changes name (the due time
-- reads only the ticket row and reference data; macros/incremental.sql).

{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ incremental_delete_items('ticket_id', ['tickets']) }}",
) }}

with

tickets as (

    select * from {{ ref('stg_ticketing__tickets') }}
    where {{ incremental_items_where('ticket_id', ['tickets']) }}

),

queues as (

    select * from {{ ref('stg_reference__queues') }}

),

windows as (

    select * from {{ ref('int_tickets__business_windows') }}

),

ticket_queues as (

    select
        tickets.ticket_id,
        tickets.queue_id,
        tickets.received_at,
        tickets.due_at as export_due_at,
        queues.calendar_id,
        queues.cycle_time_hours,
        queues.cycle_time_hours * 3600 as cycle_time_seconds
    from tickets
    left join queues on tickets.queue_id = queues.queue_id

),

-- business windows still open after the ticket arrived, clipped to received_at
clipped_windows as (

    select
        ticket_queues.ticket_id,
        ticket_queues.cycle_time_seconds,
        windows.window_start_at,
        greatest(windows.window_start_at, ticket_queues.received_at) as clipped_start_at,
        {{ seconds_between(
            'greatest(windows.window_start_at, ticket_queues.received_at)', 'windows.window_end_at'
        ) }} as clipped_seconds
    from ticket_queues
    inner join windows
        on
            ticket_queues.queue_id = windows.queue_id
            and ticket_queues.received_at < windows.window_end_at
            -- the same room as int_tickets__business_windows leaves after the last item
            and windows.window_start_at < ticket_queues.received_at + {{ days_interval(
                '31 + cast(ceil(ticket_queues.cycle_time_hours / 24.0 * 7) as integer)'
            ) }}
    where
        ticket_queues.export_due_at is null
        and ticket_queues.calendar_id is not null
        and ticket_queues.cycle_time_seconds > 0

),

-- business seconds accumulated before each window
accumulated as (

    select
        *,
        coalesce(
            sum(clipped_seconds) over (
                partition by ticket_id
                order by window_start_at
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as business_seconds_before
    from clipped_windows

),

-- the window in which the accumulated business time reaches the cycle time
business_due as (

    select
        ticket_id,
        {{ add_microseconds(
            'clipped_start_at',
            'cast(round((cycle_time_seconds - business_seconds_before) * 1000000) as bigint)'
        ) }} as business_due_at
    from accumulated
    where
        business_seconds_before < cycle_time_seconds
        and business_seconds_before + clipped_seconds >= cycle_time_seconds

),

final as (

    select
        ticket_queues.ticket_id,
        ticket_queues.received_at,
        ticket_queues.calendar_id,
        ticket_queues.cycle_time_hours,
        case
            when ticket_queues.export_due_at is not null then ticket_queues.export_due_at
            when ticket_queues.cycle_time_hours is null then null
            when ticket_queues.cycle_time_hours <= 0 then ticket_queues.received_at
            when ticket_queues.calendar_id is not null then business_due.business_due_at
            else
                {{ add_microseconds(
                    'ticket_queues.received_at',
                    'cast(round(ticket_queues.cycle_time_seconds * 1000000) as bigint)'
                ) }}
        end as due_at,
        case
            when ticket_queues.export_due_at is not null then 'export'
            when ticket_queues.cycle_time_hours is null then null
            when ticket_queues.calendar_id is not null then 'business_hours'
            else 'calendar_hours'
        end as due_at_source
    from ticket_queues
    left join business_due on ticket_queues.ticket_id = business_due.ticket_id

)

select * from final
