-- CSS assignments of the staff roster (one row per employee per program assignment) with what
-- each counts as in the people metrics of METRICS.md section 7, and the window the roster
-- covers. Decisions (DECISIONLOG.md): "People: Active Through the Separation Date", "People:
-- Who Is a Leaver at Each Level", "People: New Hires, Survival and Proficiency", "People: the
-- Window the Roster Covers".

with

roster as (

    -- CSS only: other roles never count in headcount, separations or hires
    select * from {{ ref('stg_hr__staff_roster') }}
    where role = 'css'

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

ordered as (

    select
        roster.employee_id,
        roster.site_id,
        roster.program_id,
        programs.client_id,
        roster.employment_type,
        roster.hire_date,
        roster.separation_date,
        roster.separation_type,
        roster.is_backfilled,
        roster.contract_end_date,
        roster.requested_start_date,
        roster.training_completed_date,
        roster.proficient_date,
        lag(roster.hire_date) over by_employee as previous_hire_date,
        lag(roster.separation_date) over by_employee as previous_separation_date,
        lag(roster.separation_type) over by_employee as previous_separation_type,
        lead(roster.program_id) over by_employee as next_program_id,
        lead(programs.client_id) over by_employee as next_client_id
    from roster
    left join programs on roster.program_id = programs.program_id
    window by_employee as (
        partition by roster.employee_id
        order by roster.hire_date, roster.program_id
    )

),

flagged as (

    select
        *,
        -- organisation and site: voluntary and involuntary leavers (an untyped separation is a
        -- leaver), never a transfer; a temporary CSS only when leaving before the contract end
        separation_date is not null
        and coalesce(separation_type, 'voluntary') <> 'transfer'
        and not coalesce(
            employment_type = 'temporary' and separation_date >= contract_end_date, false
        ) as is_leaver,
        -- a transfer out of the unit counts there when the position was back-filled
        coalesce(separation_type = 'transfer', false)
        and coalesce(is_backfilled, false)
        and coalesce(next_program_id <> program_id, true) as is_backfilled_program_transfer,
        coalesce(separation_type = 'transfer', false)
        and coalesce(is_backfilled, false)
        and coalesce(next_client_id <> client_id, true) as is_backfilled_client_transfer,
        -- new to the organisation: the employee's first assignment, or a re-hire after leaving;
        -- an assignment that follows a transfer (or overlaps another) is not a hire
        previous_hire_date is null
        or (
            coalesce(previous_separation_date < hire_date, false)
            and coalesce(previous_separation_type, 'voluntary') <> 'transfer'
        ) as is_new_hire,
        cast(hire_date + interval 3 month as date) as survival_check_date,
        min(separation_date) over () as first_separation_date,
        min(hire_date) over () as first_hire_date,
        max(
            greatest(hire_date, separation_date, training_completed_date, proficient_date)
        ) over () as as_of_date
    from ordered

),

-- new hires active in any assignment of the organisation on their survival check day
survivors as (

    select distinct
        hires.employee_id,
        hires.survival_check_date
    from flagged as hires
    inner join ordered as spells
        on
            hires.employee_id = spells.employee_id
            and hires.survival_check_date >= spells.hire_date
            and (
                spells.separation_date is null
                or hires.survival_check_date <= spells.separation_date
            )
    where hires.is_new_hire

),

final as (

    select
        flagged.employee_id,
        flagged.site_id,
        flagged.program_id,
        flagged.client_id,
        flagged.employment_type,
        flagged.hire_date,
        flagged.separation_date,
        flagged.separation_type,
        flagged.is_backfilled,
        flagged.contract_end_date,
        flagged.requested_start_date,
        flagged.training_completed_date,
        flagged.proficient_date,
        flagged.is_leaver,
        flagged.is_leaver or flagged.is_backfilled_program_transfer as is_program_leaver,
        flagged.is_leaver or flagged.is_backfilled_client_transfer as is_client_leaver,
        flagged.is_new_hire,
        flagged.survival_check_date,
        -- still active 3 months after the hire, in any assignment of the organisation; NULL
        -- while that day is after the roster's last day (not known yet)
        case
            when flagged.is_new_hire and flagged.survival_check_date <= flagged.as_of_date
                then survivors.employee_id is not null
        end as is_active_3_months_later,
        -- proficient within 30 days of finishing training; NULL while the 30 days are not over
        case
            when flagged.training_completed_date + 30 <= flagged.as_of_date
                then coalesce(
                    flagged.proficient_date <= flagged.training_completed_date + 30, false
                )
        end as is_proficient_within_30_days,
        -- the roster is complete from the month of the first leaver it records (before it,
        -- only survivors are visible) to its last recorded day
        cast(
            date_trunc(
                'month', coalesce(flagged.first_separation_date, flagged.first_hire_date)
            ) as date
        ) as window_start_date,
        flagged.as_of_date
    from flagged
    left join survivors
        on
            flagged.employee_id = survivors.employee_id
            and flagged.survival_check_date = survivors.survival_check_date

)

select * from final
