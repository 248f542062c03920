-- Per service window piece (int_digital__service_windows): its service seconds and the seconds
-- of it inside a FULL outage of that service. Outages are matched to what they hit (a chat
-- outage to each chat queue of its queue, site and program, empty = all; a bot outage to each
-- program's bot, empty program = all) and merged per service unit into their union (gaps and
-- islands), so overlapping outages are never subtracted twice. Decisions: DECISIONLOG.md,
-- "Digital: Outages".

with

windows as (

    select * from {{ ref('int_digital__service_windows') }}

),

outages as (

    select * from {{ ref('stg_ops__system_outages') }}

),

-- partial outages (degraded but usable) do not count; no impact given = full. An outage with no
-- end is still going on: it lasts to the end of every window after its start.
full_outages as (

    select
        outage_id,
        system_name,
        program_id,
        queue_id,
        site_id,
        started_at,
        coalesce(ended_at, {{ timestamptz_infinity() }}) as ended_at
    from outages
    where
        coalesce(impact, 'full') = 'full'
        and (ended_at is null or ended_at > started_at)

),

service_units as (

    select distinct
        system_name,
        queue_id,
        site_id,
        program_id
    from windows

),

unit_outages as (

    select
        service_units.system_name,
        service_units.queue_id,
        service_units.program_id,
        full_outages.outage_id,
        full_outages.started_at,
        full_outages.ended_at
    from service_units
    inner join full_outages
        on
            service_units.system_name = full_outages.system_name
            and (
                full_outages.program_id is null
                or service_units.program_id = full_outages.program_id
            )
            -- bots have no queue or site: a bot outage is scoped by program only
            and (
                service_units.system_name = 'bot'
                or (
                    (
                        full_outages.queue_id is null
                        or service_units.queue_id = full_outages.queue_id
                    )
                    and (
                        full_outages.site_id is null
                        or service_units.site_id = full_outages.site_id
                    )
                )
            )

),

ordered as (

    select
        *,
        -- the furthest end of every earlier outage of this service unit
        max(ended_at) over (
            partition by system_name, queue_id, program_id
            order by started_at, outage_id
            rows between unbounded preceding and 1 preceding
        ) as previous_max_end
    from unit_outages

),

islands as (

    select
        *,
        sum(
            case
                when previous_max_end is null or started_at > previous_max_end then 1
                else 0
            end
        ) over (
            partition by system_name, queue_id, program_id
            order by started_at, outage_id
            rows between unbounded preceding and current row
        ) as island_number
    from ordered

),

outage_islands as (

    select
        system_name,
        queue_id,
        program_id,
        min(started_at) as island_start_at,
        max(ended_at) as island_end_at
    from islands
    group by system_name, queue_id, program_id, island_number

),

final as (

    select
        windows.system_name,
        windows.queue_id,
        windows.site_id,
        windows.program_id,
        windows.client_id,
        windows.local_date,
        windows.org_date,
        windows.window_start_at,
        windows.window_end_at,
        {{ seconds_between(
            'windows.window_start_at', 'windows.window_end_at'
        ) }} as service_seconds,
        -- least/greatest skip NULLs in DuckDB, so a window without an outage must say 0 itself
        coalesce(
            {% call exact_sum() %}
                case
                    when outage_islands.island_start_at is not null
                        then {{ seconds_between(
                            'greatest(windows.window_start_at, outage_islands.island_start_at)',
                            'least(windows.window_end_at, outage_islands.island_end_at)'
                        ) }}
                end
            {% endcall %},
            0
        ) as outage_seconds
    from windows
    left join outage_islands
        on
            windows.system_name = outage_islands.system_name
            and windows.queue_id is not distinct from outage_islands.queue_id
            and windows.program_id is not distinct from outage_islands.program_id
            and windows.window_end_at > outage_islands.island_start_at
            and windows.window_start_at < outage_islands.island_end_at
    group by all

)

select * from final
