-- Opening windows of each ticket queue's calendar, one row per queue, local date and opening
-- interval, in UTC [window_start_at, window_end_at). The arithmetic is done on the local wall
-- clock of the queue's site (IANA zone) per local date, so DST changes are exact; holidays are
-- closed. Decisions: DECISIONLOG.md, "Tickets".

with

queues as (

    select * from {{ ref('stg_reference__queues') }}
    where calendar_id is not null

),

sites as (

    select * from {{ ref('stg_reference__sites') }}

),

calendars as (

    select * from {{ ref('stg_reference__calendars') }}

),

holidays as (

    select * from {{ ref('stg_reference__holidays') }}

),

tickets as (

    select * from {{ ref('stg_ticketing__tickets') }}

),

events as (

    select * from {{ ref('stg_ticketing__ticket_events') }}

),

queue_zones as (

    select
        queues.queue_id,
        queues.calendar_id,
        coalesce(queues.cycle_time_hours, 0) as cycle_time_hours,
        coalesce(sites.time_zone, 'UTC') as time_zone
    from queues
    left join sites on queues.site_id = sites.site_id

),

-- local dates from the day before the first ticket to well after the last one (enough room
-- for the longest cycle time even over a run of closed days) and at least to the last day with
-- data, for the backlog's business-hours lateness
date_range as (

    select
        cast(min(tickets.received_at) as date) - 1 as first_date,
        greatest(
            cast(max(tickets.received_at) as date)
            + 31
            + cast(
                ceil((select max(qz.cycle_time_hours) from queue_zones as qz) / 24.0 * 7)
                as integer
            ),
            cast(max(tickets.completed_at) as date) + 1,
            cast((select max(events.event_at) from events) as date) + 1
        ) as last_date
    from tickets

),

local_dates as (

    select date_series.local_date
    from date_range
    cross join
        {{ date_series(
            'date_range.first_date', 'date_range.last_date', 'date_series', 'local_date'
        ) }}

),

windows as (

    -- the calendar arithmetic is shared with chat availability (macros/calendar_windows.sql)
    {{ calendar_windows('queue_zones', 'local_dates') }}

),

final as (

    select
        *,
        {{ seconds_between('window_start_at', 'window_end_at') }} as window_seconds
    from windows
    where window_end_at > window_start_at

)

select * from final
