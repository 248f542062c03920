-- The minutes each digital service was meant to be up, in UTC [window_start_at, window_end_at)
-- pieces that never cross a local midnight of the unit's zone nor of the organisation's zone:
-- - chat: each chat queue's opening windows (its calendar; a queue without a calendar is open
--   24x7), per local date of its site's zone, from the queue's first chat to the last chat day;
-- - bot: every program's bot is in service 24x7, per local date of the organisation's zone, from
--   its first conversation to the last conversation day.
-- Produced only when an outage log was ever exported: without one, availability is unknown.
-- Decisions: DECISIONLOG.md, "Digital: Service Hours" and "Digital: Program Days".

with

outages as (

    select * from {{ ref('stg_ops__system_outages') }}

),

queues as (

    select * from {{ ref('stg_reference__queues') }}
    where channel = 'chat'

),

sites as (

    select * from {{ ref('stg_reference__sites') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

calendars as (

    select * from {{ ref('stg_reference__calendars') }}

),

holidays as (

    select * from {{ ref('stg_reference__holidays') }}

),

chats as (

    select
        queue_id,
        coalesce(requested_at, invited_at) as chat_at
    from {{ ref('stg_chat__sessions') }}
    where coalesce(requested_at, invited_at) is not null

),

conversations as (

    select * from {{ ref('stg_bot__conversations') }}

),

has_outage_log as (

    select count(*) > 0 as has_log from outages

),

chat_queues as (

    select
        queues.queue_id,
        queues.site_id,
        queues.program_id,
        programs.client_id,
        queues.calendar_id,
        coalesce(sites.time_zone, 'UTC') as time_zone
    from queues
    left join sites on queues.site_id = sites.site_id
    left join programs on queues.program_id = programs.program_id

),

-- a chat queue is in service from the local day of its first chat to the last local day of
-- the chat export (in the queue's own zone)
queue_first_chats as (

    select
        queue_id,
        min(chat_at) as first_chat_at
    from chats
    group by queue_id

),

queue_ranges as (

    select
        chat_queues.*,
        cast({{ to_local('queue_first_chats.first_chat_at', 'chat_queues.time_zone') }} as date)
            as first_date,
        cast(
            {{ to_local(
                '(select max(chats.chat_at) from chats)', 'chat_queues.time_zone'
            ) }} as date
        ) as last_date
    from chat_queues
    inner join queue_first_chats on chat_queues.queue_id = queue_first_chats.queue_id

),

local_dates as (

    select date_series.local_date
    from
        {{ date_series(
            '(select min(queue_ranges.first_date) - 1 from queue_ranges)',
            '(select max(queue_ranges.last_date) + 1 from queue_ranges)',
            'date_series',
            'local_date'
        ) }}

),

calendar_queues as (

    select * from queue_ranges
    where calendar_id is not null

),

chat_windows as (

    select
        calendar_windows.queue_id,
        calendar_windows.local_date,
        calendar_windows.window_start_at,
        calendar_windows.window_end_at
    from ({{ calendar_windows('calendar_queues', 'local_dates') }}) as calendar_windows

    union all

    -- no calendar: open the whole local day (23 or 25 hours on a DST day)
    select
        queue_ranges.queue_id,
        local_dates.local_date,
        {{ from_local('cast(local_dates.local_date as timestamp)', 'queue_ranges.time_zone') }}
            as window_start_at,
        {{ from_local('cast(local_dates.local_date + 1 as timestamp)', 'queue_ranges.time_zone') }}
            as window_end_at
    from queue_ranges
    cross join local_dates
    where queue_ranges.calendar_id is null

),

queue_windows as (

    select
        'chat' as system_name,
        queue_ranges.queue_id,
        queue_ranges.site_id,
        queue_ranges.program_id,
        queue_ranges.client_id,
        chat_windows.local_date,
        chat_windows.window_start_at,
        chat_windows.window_end_at
    from chat_windows
    inner join queue_ranges on chat_windows.queue_id = queue_ranges.queue_id
    where
        chat_windows.local_date between queue_ranges.first_date and queue_ranges.last_date
        and chat_windows.window_end_at > chat_windows.window_start_at

),

-- bots: program days are the organisation's days (DECISIONLOG "Digital: Program Days")
program_first_conversations as (

    select
        program_id,
        min(started_at) as first_started_at
    from conversations
    where program_id is not null
    group by program_id

),

bot_ranges as (

    select
        program_first_conversations.program_id,
        programs.client_id,
        cast(
            {{ to_local('program_first_conversations.first_started_at', org_time_zone()) }} as date
        ) as first_date,
        cast(
            {{ to_local(
                '(select max(conversations.started_at) from conversations)', org_time_zone()
            ) }}
            as date
        ) as last_date
    from program_first_conversations
    left join programs on program_first_conversations.program_id = programs.program_id

),

program_windows as (

    select
        'bot' as system_name,
        cast(null as string) as queue_id,
        cast(null as string) as site_id,
        bot_ranges.program_id,
        bot_ranges.client_id,
        date_series.local_date,
        {{ from_local('cast(date_series.local_date as timestamp)', org_time_zone()) }}
            as window_start_at,
        {{ from_local(
            'cast(date_series.local_date as timestamp) + interval 1 day', org_time_zone()
        ) }} as window_end_at
    from bot_ranges
    cross join
        {{ date_series(
            'bot_ranges.first_date', 'bot_ranges.last_date', 'date_series', 'local_date'
        ) }}

),

service_windows as (

    select * from queue_windows
    union all
    select * from program_windows

),

org_days as (

    select
        date_series.org_date,
        {{ from_local('cast(date_series.org_date as timestamp)', org_time_zone()) }}
            as org_day_start_at,
        {{ from_local(
            'cast(date_series.org_date as timestamp) + interval 1 day', org_time_zone()
        ) }} as org_day_end_at
    from
        {{ date_series(
            '(select min(service_windows.local_date) - 2 from service_windows)',
            '(select max(service_windows.local_date) + 2 from service_windows)',
            'date_series',
            'org_date'
        ) }}

),

-- cut every window at the organisation's midnights, so organisation rows get their own days
final as (

    select
        service_windows.system_name,
        service_windows.queue_id,
        service_windows.site_id,
        service_windows.program_id,
        service_windows.client_id,
        service_windows.local_date,
        org_days.org_date,
        greatest(service_windows.window_start_at, org_days.org_day_start_at) as window_start_at,
        least(service_windows.window_end_at, org_days.org_day_end_at) as window_end_at
    from service_windows
    inner join org_days
        on
            service_windows.window_start_at < org_days.org_day_end_at
            and service_windows.window_end_at > org_days.org_day_start_at
    where (select has_outage_log.has_log from has_outage_log)

)

select * from final
