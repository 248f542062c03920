-- Agent time per CSS, site and working day (METRICS.md section 6): state seconds for occupancy
-- and utilisation, paid and scheduled seconds, and the adherent part of the scheduled seconds.
-- Schedules and states are swept together per CSS (one row per boundary, window functions, no
-- range join): between two consecutive boundaries the scheduled activity and the actual state
-- are both constant, so every piece is compared with exact interval arithmetic.
-- Decisions (DECISIONLOG.md): "Workforce: Shifts Belong to the Day They Start",
-- "Workforce: Occupancy Counts After-Contact Work as Productive",
-- "Workforce: Paid Time Is the Scheduled Shift Without Lunch",
-- "Workforce: Adherence by Exact Overlap, With a Grace Window at Every Schedule Boundary".
-- Incremental: a night rebuilds the working days from two days before the first UTC day its
-- changes to states or schedules reach, from the rows begun up to three days before that (a shift
-- or state begun earlier is complete by then; macros/incremental.sql). A roster change (reference
-- data) rebuilds everything.

{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ incremental_delete_since('work_date', incremental_first_date(['agent_states', 'wfm_schedules'], 2)) }}",
) }}

{%- set grace = var('adherence_grace_seconds') %}
{%- set first_date = incremental_first_date(['agent_states', 'wfm_schedules'], 2) %}

with

sites as (

    select * from {{ ref('stg_reference__sites') }}

),

roster as (

    select * from {{ ref('stg_hr__staff_roster') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

-- scheduled activities; 'off' (planned leave) is neither paid nor scheduled work
schedule_rows as (

    select
        agent_id,
        site_id,
        activity,
        started_at,
        ended_at
    from {{ ref('stg_wfm__schedules') }}
    where
        activity <> 'off'
        and ended_at > started_at
        and agent_id is not null
        and {{ incremental_since_timestamp('started_at', first_date, 3) }}
    qualify row_number() over (
        partition by agent_id, started_at order by ended_at desc, activity asc
    ) = 1

),

schedule_ordered as (

    select
        *,
        max(ended_at) over (
            partition by agent_id
            order by started_at
            rows between unbounded preceding and 1 preceding
        ) as previous_max_end
    from schedule_rows

),

-- a shift is a run of back-to-back schedule rows; any gap starts a new one
schedule_islands as (

    select
        *,
        sum(
            case
                when previous_max_end is null or started_at > previous_max_end then 1 else 0
            end
        ) over (
            partition by agent_id
            order by started_at
            rows between unbounded preceding and current row
        ) as shift_number
    from schedule_ordered

),

segments as (

    select
        schedule_islands.agent_id,
        schedule_islands.site_id,
        schedule_islands.activity,
        schedule_islands.started_at,
        schedule_islands.ended_at,
        min(schedule_islands.started_at) over (
            partition by schedule_islands.agent_id, schedule_islands.shift_number
        ) as shift_started_at,
        coalesce(sites.time_zone, 'UTC') as site_time_zone
    from schedule_islands
    left join sites on schedule_islands.site_id = sites.site_id

),

-- a state without an end lasts until the agent's next state; a final logged_out lasts forever
state_rows as (

    select
        agent_id,
        site_id,
        state,
        reason,
        started_at,
        coalesce(
            ended_at,
            lead(started_at) over (partition by agent_id order by started_at),
            case when state = 'logged_out' then {{ timestamptz_infinity() }} end
        ) as ended_at
    from {{ ref('stg_acd__agent_states') }}
    where
        agent_id is not null
        and started_at is not null
        and {{ incremental_since_timestamp('started_at', first_date, 3) }}

),

states as (

    select
        state_rows.*,
        coalesce(sites.time_zone, 'UTC') as site_time_zone
    from state_rows
    left join sites on state_rows.site_id = sites.site_id
    where state_rows.ended_at > state_rows.started_at
    qualify row_number() over (
        partition by state_rows.agent_id, state_rows.started_at
        order by state_rows.ended_at desc, state_rows.state asc
    ) = 1

),

boundaries as (

    select
        agent_id,
        started_at as boundary_at
    from segments

    union

    select
        agent_id,
        ended_at
    from segments

    union

    select
        agent_id,
        started_at
    from states

    union

    select
        agent_id,
        ended_at
    from states
    where {{ is_finite('ended_at') }}

),

marked as (

    select
        boundaries.agent_id,
        boundaries.boundary_at,
        case when segments.agent_id is not null then {{ make_struct([
            ('site_id', 'segments.site_id'),
            ('activity', 'segments.activity'),
            ('started_at', 'segments.started_at'),
            ('ended_at', 'segments.ended_at'),
            ('shift_started_at', 'segments.shift_started_at'),
            ('site_time_zone', 'segments.site_time_zone'),
        ]) }} end as segment,
        case when states.agent_id is not null then {{ make_struct([
            ('site_id', 'states.site_id'),
            ('state', 'states.state'),
            ('reason', 'states.reason'),
            ('ended_at', 'states.ended_at'),
            ('site_time_zone', 'states.site_time_zone'),
        ]) }} end as agent_state
    from boundaries
    left join segments
        on
            boundaries.agent_id = segments.agent_id
            and boundaries.boundary_at = segments.started_at
    left join states
        on
            boundaries.agent_id = states.agent_id
            and boundaries.boundary_at = states.started_at

),

-- the sweep: each piece runs to the next boundary, under the last segment and state started
swept as (

    select
        agent_id,
        boundary_at as piece_started_at,
        lead(boundary_at) over by_time as piece_ended_at,
        {{ last_value_ignore_nulls('segment') }} over up_to_now as segment,
        {{ last_value_ignore_nulls('agent_state') }} over up_to_now as agent_state
    from marked
    window
        by_time as (partition by agent_id order by boundary_at),
        up_to_now as (
            partition by agent_id
            order by boundary_at
            rows between unbounded preceding and current row
        )

),

active as (

    select
        agent_id,
        piece_started_at,
        piece_ended_at,
        case
            when {{ struct_field('segment', 'ended_at') }} > piece_started_at then segment
        end as segment,
        case
            when {{ struct_field('agent_state', 'ended_at') }} > piece_started_at then agent_state
        end as agent_state
    from swept
    where piece_ended_at is not null

),

pieces as (

    select
        agent_id,
        piece_started_at,
        piece_ended_at,
        {{ struct_field('segment', 'activity') }} as activity,
        {{ struct_field('segment', 'started_at') }} as segment_started_at,
        {{ struct_field('segment', 'ended_at') }} as segment_ended_at,
        {{ struct_field('segment', 'shift_started_at') }} as shift_started_at,
        -- no state at all is the same as logged out
        coalesce({{ struct_field('agent_state', 'state') }}, 'logged_out') as state,
        {{ struct_field('agent_state', 'reason') }} as reason,
        coalesce(
            {{ struct_field('segment', 'site_id') }}, {{ struct_field('agent_state', 'site_id') }}
        ) as site_id,
        {{ struct_field('segment', 'site_time_zone') }} as segment_time_zone,
        {{ struct_field('agent_state', 'site_time_zone') }} as state_time_zone
    from active
    where
        segment is not null
        or {{ struct_field('agent_state', 'state') }} in ('available', 'handling', 'acw')

),

measured as (

    select
        *,
        {{ seconds_between('piece_started_at', 'piece_ended_at') }} as piece_seconds,
        -- the scheduled activity and the state that adheres to it
        case
            when activity = 'on_queue' then state in ('available', 'handling', 'acw')
            when activity in ('break', 'lunch')
                then state = 'logged_out' or (state = 'not_ready' and reason = activity)
            when activity in ('training', 'meeting')
                then state = 'not_ready' and reason in ('training', 'meeting', 'coaching')
            else false
        end as is_matching,
        -- a shift is dated by its start in the site's zone; unscheduled time by its own start
        cast(
            {{ to_local(
                'coalesce(shift_started_at, piece_started_at)',
                "coalesce(segment_time_zone, state_time_zone, 'UTC')"
            ) }} as date
        ) as work_date,
        cast(
            {{ to_local('coalesce(shift_started_at, piece_started_at)', org_time_zone()) }} as date
        ) as work_org_date
    from pieces

),

-- the seconds of a piece inside [start, start + grace) or [end - grace, end) of its segment
graced as (

    select
        *,
        greatest(
            {{ seconds_between(
                'greatest(piece_started_at, segment_started_at)',
                'least(piece_ended_at, ' ~ add_seconds('segment_started_at', grace)
                ~ ', segment_ended_at)'
            ) }},
            0
        )
        + greatest(
            {{ seconds_between(
                'greatest(piece_started_at, ' ~ add_seconds('segment_ended_at', -grace)
                ~ ', ' ~ add_seconds('segment_started_at', grace) ~ ')',
                'least(piece_ended_at, segment_ended_at)'
            ) }},
            0
        ) as grace_seconds
    from measured

),

agent_days as (

    select
        agent_id,
        site_id,
        work_date,
        work_org_date,
        {{ exact_sum("case when state = 'handling' then piece_seconds else 0 end") }}
            as handling_seconds,
        {{ exact_sum("case when state = 'acw' then piece_seconds else 0 end") }}
            as acw_seconds,
        {{ exact_sum("case when state = 'available' then piece_seconds else 0 end") }}
            as available_seconds,
        {{ exact_sum(
            "case when activity is not null and activity <> 'lunch' then piece_seconds else 0 end"
        ) }} as paid_seconds,
        {{ exact_sum('case when activity is not null then piece_seconds else 0 end') }}
            as scheduled_seconds,
        {{ exact_sum(
            "case when activity is null then 0 when is_matching then piece_seconds"
            ~ " else least(grace_seconds, piece_seconds) end"
        ) }} as adherent_seconds
    from graced
    where {{ incremental_since_date('work_date', first_date) }}
    group by agent_id, site_id, work_date, work_org_date

),

-- the CSS's program on that day: the roster assignment covering it (the latest if several)
assigned as (

    select
        agent_days.*,
        roster.program_id
    from agent_days
    left join roster
        on
            agent_days.agent_id = roster.employee_id
            and agent_days.work_date >= roster.hire_date
            and (roster.separation_date is null or agent_days.work_date <= roster.separation_date)
    qualify row_number() over (
        partition by
            agent_days.agent_id,
            agent_days.site_id,
            agent_days.work_date,
            agent_days.work_org_date
        order by roster.hire_date desc nulls last, roster.program_id asc
    ) = 1

),

final as (

    select
        assigned.agent_id,
        assigned.site_id,
        assigned.program_id,
        programs.client_id,
        assigned.work_date,
        assigned.work_org_date,
        assigned.handling_seconds,
        assigned.acw_seconds,
        assigned.available_seconds,
        assigned.paid_seconds,
        assigned.scheduled_seconds,
        assigned.adherent_seconds
    from assigned
    left join programs on assigned.program_id = programs.program_id

)

select * from final
