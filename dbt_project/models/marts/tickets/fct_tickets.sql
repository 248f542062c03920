-- One row per ticket (email, web form, social, letter, back-office item or case step) with its
-- due time and where it came from, its local dates (site zone) and organisation dates, and the
-- timeliness flags the ticket metrics count. Decisions: DECISIONLOG.md, "Tickets".
-- Incremental: a night rebuilds the tickets its changes name (a ticket row or a status event),
-- each with its whole status history (macros/incremental.sql).

{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ incremental_delete_items('ticket_id', ['tickets', 'ticket_events']) }}",
) }}

{%- set rebuilt = incremental_items_where('ticket_id', ['tickets', 'ticket_events']) %}

with

tickets as (

    select * from {{ ref('stg_ticketing__tickets') }}
    where {{ rebuilt }}

),

due_times as (

    select * from {{ ref('int_tickets__due_times') }}

),

queues as (

    select * from {{ ref('stg_reference__queues') }}

),

sites as (

    select * from {{ ref('stg_reference__sites') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

events as (

    select * from {{ ref('stg_ticketing__ticket_events') }}
    where {{ rebuilt }}

),

-- first solve and the first re-open after it, from the status history
solves as (

    select
        ticket_id,
        min(event_at) filter (where status_to in ('solved', 'closed')) as first_solved_at
    from events
    group by ticket_id

),

reopens as (

    select
        events.ticket_id,
        min(events.event_at) as first_reopened_at
    from events
    inner join solves on events.ticket_id = solves.ticket_id
    where
        events.status_from in ('solved', 'closed')
        and coalesce(events.status_to, '') not in ('solved', 'closed')
        and events.event_at > solves.first_solved_at
    group by events.ticket_id

),

joined as (

    select
        tickets.ticket_id,
        tickets.case_id,
        coalesce(tickets.site_id, queues.site_id) as site_id,
        coalesce(tickets.program_id, queues.program_id) as program_id,
        programs.client_id,
        tickets.queue_id,
        coalesce(tickets.channel, queues.channel) as channel,
        tickets.customer_key,
        tickets.priority,
        tickets.status,
        tickets.assignee_id,
        tickets.handle_seconds,
        tickets.received_at,
        tickets.first_response_at,
        tickets.response_due_at,
        tickets.completed_at,
        due_times.due_at,
        due_times.due_at_source,
        due_times.calendar_id,
        coalesce(solves.first_solved_at, tickets.completed_at) as first_solved_at,
        reopens.first_reopened_at,
        coalesce(sites.time_zone, 'UTC') as site_time_zone
    from tickets
    left join due_times on tickets.ticket_id = due_times.ticket_id
    left join queues on tickets.queue_id = queues.queue_id
    left join sites on coalesce(tickets.site_id, queues.site_id) = sites.site_id
    left join programs on coalesce(tickets.program_id, queues.program_id) = programs.program_id
    left join solves on tickets.ticket_id = solves.ticket_id
    left join reopens on tickets.ticket_id = reopens.ticket_id

),

final as (

    select
        *,
        cast({{ to_local('received_at', 'site_time_zone') }} as date) as received_date,
        cast({{ to_local('received_at', org_time_zone()) }} as date) as received_org_date,
        cast({{ to_local('completed_at', 'site_time_zone') }} as date) as completed_date,
        cast({{ to_local('completed_at', org_time_zone()) }} as date) as completed_org_date,
        cast({{ to_local('first_solved_at', 'site_time_zone') }} as date) as first_solved_date,
        cast({{ to_local('first_solved_at', org_time_zone()) }} as date) as first_solved_org_date,
        cast({{ to_local('first_response_at', 'site_time_zone') }} as date) as responded_date,
        cast({{ to_local('first_response_at', org_time_zone()) }} as date) as responded_org_date,
        completed_at is not null as is_completed,
        -- completed exactly at the due time is on time; no due time: not judged
        case when completed_at is not null then completed_at <= due_at end as is_on_time,
        case
            when first_response_at is not null then first_response_at <= response_due_at
        end as is_responded_on_time,
        case
            when completed_at > due_at
                then {{ seconds_between('due_at', 'completed_at') }} / 3600.0
            else 0
        end as lateness_calendar_hours,
        -- reopened within 14 days of the first solve (METRICS.md ticket_reopen_rate)
        coalesce(
            first_reopened_at <= first_solved_at + interval 14 day, false
        ) as is_reopened_within_14_days
    from joined

)

select * from final
