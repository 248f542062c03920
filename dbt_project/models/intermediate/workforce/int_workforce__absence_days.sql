-- Absenteeism parts per unit and local date (METRICS.md absenteeism): unplanned absence hours
-- on the CSS's roster site and program of that date, and the paid scheduled hours of the CSSs
-- dated like their shifts. Absences are local dates with no time of day, so the organisation
-- sums the sites' local dates too. Decision (DECISIONLOG.md): "Workforce: Absenteeism Per
-- Program From the Roster".

with

agent_days as (

    select * from {{ ref('int_workforce__agent_days') }}

),

roster as (

    select * from {{ ref('stg_hr__staff_roster') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

-- each unplanned absence on the roster assignment covering its date (the latest if several)
absences as (

    select
        absences.absence_date,
        roster.site_id,
        roster.program_id,
        programs.client_id,
        absences.hours
    from {{ ref('stg_hr__absences') }} as absences
    left join roster
        on
            absences.employee_id = roster.employee_id
            and absences.absence_date >= roster.hire_date
            and (
                roster.separation_date is null
                or absences.absence_date <= roster.separation_date
            )
    left join programs on roster.program_id = programs.program_id
    where not absences.is_planned and absences.absence_date is not null
    qualify row_number() over (
        partition by
            absences.employee_id,
            absences.absence_date,
            absences.source_file_id,
            absences.source_row
        order by roster.hire_date desc nulls last, roster.program_id asc
    ) = 1

),

parts as (

    select
        site_id,
        program_id,
        client_id,
        absence_date as period_start,
        hours as absence_hours,
        0 as scheduled_hours
    from absences

    union all

    select
        site_id,
        program_id,
        client_id,
        work_date as period_start,
        0 as absence_hours,
        paid_seconds / 3600.0 as scheduled_hours
    from agent_days

),

final as (

    {% for level, unit in [
        ('site', 'site_id'),
        ('program', 'program_id'),
        ('client', 'client_id'),
        ('organisation', "'organisation'"),
    ] %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            period_start,
            {{ exact_sum('absence_hours') }} as absence_hours,
            {{ exact_sum('scheduled_hours') }} as scheduled_hours
        from parts
        where {{ unit }} is not null and period_start is not null
        group by {{ unit }}, period_start
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
