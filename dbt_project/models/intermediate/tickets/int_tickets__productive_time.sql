-- Productive (handling and after-contact work) time of CSSs on the ticket channels, attributed to
-- a ticket queue, for ticket_items_per_hour (METRICS.md section 3). Agent states carry a site and a
-- channel but no queue: a state interval belongs to the one queue of its site, channel and the
-- CSS's program on that day (staff_roster). Intervals that match no queue, or more than one, are
-- left out. DECISIONLOG "Tickets: Items per Productive Hour".

with

states as (

    select * from {{ ref('stg_acd__agent_states') }}
    where
        state in ('handling', 'acw')
        and channel in ('email', 'web', 'social', 'letter', 'backoffice')
        and ended_at > started_at

),

roster as (

    select * from {{ ref('stg_hr__staff_roster') }}

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

dated as (

    select
        states.agent_id,
        states.site_id,
        states.channel,
        states.started_at,
        -- an interval counts on the local day it started (they are minutes long)
        cast(
            {{ to_local('states.started_at', "coalesce(sites.time_zone, 'UTC')") }} as date
        ) as site_date,
        cast({{ to_local('states.started_at', org_time_zone()) }} as date) as org_date,
        {{ seconds_between('states.started_at', 'states.ended_at') }} / 3600.0 as productive_hours
    from states
    left join sites on states.site_id = sites.site_id

),

assigned as (

    -- the CSS's program assignment in force on that day
    select
        dated.*,
        roster.program_id
    from dated
    inner join roster
        on
            dated.agent_id = roster.employee_id
            and dated.site_date >= roster.hire_date
            and (roster.separation_date is null or dated.site_date < roster.separation_date)
    qualify count(*) over (partition by dated.agent_id, dated.started_at) = 1

),

final as (

    select
        queues.queue_id,
        assigned.site_id,
        assigned.program_id,
        programs.client_id,
        assigned.channel,
        assigned.site_date,
        assigned.org_date,
        assigned.productive_hours
    from assigned
    inner join queues
        on
            assigned.site_id = queues.site_id
            and assigned.program_id = queues.program_id
            and assigned.channel = queues.channel
    left join programs on assigned.program_id = programs.program_id
    qualify count(*) over (partition by assigned.agent_id, assigned.started_at) = 1

)

select * from final
