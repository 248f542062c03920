-- Forecast against actual per queue, forecast interval and horizon (METRICS.md section 6): the
-- forecast snapshot the schedule (or the hiring plan) was built from, and the actual offered
-- volume, handled contacts and handle time in the same interval.
-- Decisions (DECISIONLOG.md): "Workforce: The Forecast Snapshot Is the Latest One Made Before the
-- Lead Time", "Workforce: Forecast Actuals Per Queue Interval, AHT Weighted by Handled Volume".

with

queues as (

    select * from {{ ref('stg_reference__queues') }}

),

sites as (

    select * from {{ ref('stg_reference__sites') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

forecasts as (

    select
        *,
        case horizon
            when 'scheduling' then {{ var('forecast_lead_days_scheduling') }}
            when 'staffing' then {{ var('forecast_lead_days_staffing') }}
        end as lead_days
    from {{ ref('stg_wfm__forecasts') }}
    where interval_start_at is not null and interval_minutes > 0

),

-- per queue and interval, the latest version made at least the horizon's lead time before it
snapshots as (

    select
        queue_id,
        horizon,
        interval_start_at,
        interval_minutes,
        forecast_offered,
        forecast_aht_seconds,
        made_at
    from forecasts
    where made_at <= interval_start_at - {{ days_interval('lead_days') }}
    qualify row_number() over (
        partition by queue_id, horizon, interval_start_at order by made_at desc
    ) = 1

),

-- each queue's interval grid: its forecast's interval length, aligned on its first interval
grids as (

    select
        queue_id,
        horizon,
        min(interval_minutes) as interval_minutes,
        min(interval_start_at) as grid_origin_at
    from snapshots
    group by queue_id, horizon

),

-- what reached each queue: voice segments offered, chats offered, tickets received
contacts as (

    select
        queue_id,
        offered_at as arrived_at,
        is_answered as is_handled,
        handle_seconds
    from {{ ref('fct_voice_segments') }}

    union all

    select
        queue_id,
        started_at as arrived_at,
        is_handled,
        handle_seconds
    from {{ ref('fct_chat_sessions') }}
    where is_offered

    union all

    -- tickets carry no handle time: they count in volume, never in AHT
    select
        queue_id,
        received_at as arrived_at,
        null as is_handled,
        null as handle_seconds
    from {{ ref('fct_tickets') }}

),

actuals as (

    select
        grids.queue_id,
        grids.horizon,
        {{ add_minutes(
            'grids.grid_origin_at',
            'cast(floor(' ~ seconds_between('grids.grid_origin_at', 'contacts.arrived_at')
            ~ ' / (60 * grids.interval_minutes)) * grids.interval_minutes as bigint)'
        ) }} as interval_start_at,
        count(*) as actual_offered,
        count(*) filter (where contacts.is_handled) as actual_handled,
        sum(case when contacts.is_handled then contacts.handle_seconds end) as actual_handle_seconds
    from contacts
    inner join grids on contacts.queue_id = grids.queue_id
    where contacts.arrived_at is not null
    group by all

),

compared as (

    select
        coalesce(snapshots.queue_id, actuals.queue_id) as queue_id,
        coalesce(snapshots.horizon, actuals.horizon) as horizon,
        coalesce(snapshots.interval_start_at, actuals.interval_start_at) as interval_start_at,
        snapshots.made_at,
        snapshots.forecast_offered is not null as has_forecast,
        -- an interval the forecast left out was forecast at zero
        coalesce(snapshots.forecast_offered, 0) as forecast_offered,
        snapshots.forecast_aht_seconds,
        coalesce(actuals.actual_offered, 0) as actual_offered,
        coalesce(actuals.actual_handled, 0) as actual_handled,
        coalesce(actuals.actual_handle_seconds, 0) as actual_handle_seconds
    from snapshots
    full outer join actuals
        on
            snapshots.queue_id = actuals.queue_id
            and snapshots.horizon = actuals.horizon
            and snapshots.interval_start_at = actuals.interval_start_at

),

dated as (

    select
        compared.*,
        queues.site_id,
        queues.program_id,
        programs.client_id,
        queues.channel,
        cast(
            {{ to_local('compared.interval_start_at', "coalesce(sites.time_zone, 'UTC')") }} as date
        ) as interval_date,
        cast({{ to_local('compared.interval_start_at', org_time_zone()) }} as date)
            as interval_org_date
    from compared
    left join queues on compared.queue_id = queues.queue_id
    left join sites on queues.site_id = sites.site_id
    left join programs on queues.program_id = programs.program_id

),

-- only the local days the horizon's forecast covers for that queue are compared
forecast_days as (

    select distinct
        queue_id,
        horizon,
        interval_date
    from dated
    where has_forecast

),

final as (

    select dated.*
    from dated
    inner join forecast_days
        on
            dated.queue_id = forecast_days.queue_id
            and dated.horizon = forecast_days.horizon
            and dated.interval_date = forecast_days.interval_date

)

select * from final
