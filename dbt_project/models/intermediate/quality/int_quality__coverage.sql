-- monitoring_coverage parts (METRICS.md section 4) per month: active CSSs and those monitored
-- enough, at site, program, client and organisation level (the roster has no channel or queue).
-- A CSS is active in a month when a 'css' roster row covers any of its days; covered when
-- monitored (any non-calibration evaluation) at least once in the month and, in their first 30
-- days, in each of their first four weeks that overlaps the month. Decisions: DECISIONLOG.md,
-- "QA: Monitoring Coverage, Active CSS and the First Month".

with

roster as (

    select * from {{ ref('stg_hr__staff_roster') }}

),

programs as (

    select * from {{ ref('stg_reference__programs') }}

),

evaluations as (

    select * from {{ ref('int_quality__evaluations') }}

),

monitored as (

    select
        agent_id as employee_id,
        evaluated_date,
        evaluated_org_date
    from evaluations
    where not is_calibration and agent_id is not null

),

-- the months with QA data, from the first to the last, and the last day with data
data_range as (

    select
        least(min(evaluated_date), min(evaluated_org_date)) as first_date,
        greatest(max(evaluated_date), max(evaluated_org_date)) as last_date
    from evaluations

),

months as (

    select
        months.month_start,
        cast(months.month_start + interval 1 month - interval 1 day as date) as month_end
    from
        data_range
    cross join
        {{ date_series(
            "cast(date_trunc('month', data_range.first_date) as date)",
            "cast(date_trunc('month', data_range.last_date) as date)",
            'months',
            'month_start',
            step='1 month'
        ) }}

),

css_rows as (

    select
        roster.employee_id,
        roster.site_id,
        roster.program_id,
        programs.client_id,
        roster.hire_date,
        -- active to the separation day, or to the contract's end when no separation is recorded
        coalesce(roster.separation_date, roster.contract_end_date) as last_active_date
    from roster
    left join programs on roster.program_id = programs.program_id
    where roster.role = 'css'

),

css_months as (

    select
        css_rows.*,
        months.month_start,
        months.month_end
    from css_rows
    inner join months
        on
            css_rows.hire_date <= months.month_end
            and (
                css_rows.last_active_date is null or css_rows.last_active_date >= months.month_start
            )

),

-- the first 30 days after the first CSS hire (a transfer is not a new hire): four weeks from
-- the hire day, the fourth running to day 30; a week that starts after the CSS left or after the
-- last day with data is not required
css_employees as (

    select
        employee_id,
        min(hire_date) as first_hire_date,
        max(coalesce(last_active_date, date '9999-12-31')) as last_active_date
    from css_rows
    group by employee_id

),

first_weeks as (

    select
        css_employees.employee_id,
        css_employees.first_hire_date + cast(7 * weeks.week_number as integer) as week_start,
        css_employees.first_hire_date + cast(
            case when weeks.week_number = 3 then 29 else 7 * weeks.week_number + 6 end as integer
        ) as week_end
    from css_employees
    cross join data_range
    cross join (values (0), (1), (2), (3)) as weeks (week_number)
    where
        css_employees.first_hire_date + cast(7 * weeks.week_number as integer)
        <= least(css_employees.last_active_date, data_range.last_date)

),

week_checks as (

    select
        first_weeks.employee_id,
        first_weeks.week_start,
        first_weeks.week_end,
        coalesce(
            bool_or(
                monitored.evaluated_date between first_weeks.week_start and first_weeks.week_end
            ),
            false
        ) as is_monitored,
        coalesce(
            bool_or(
                monitored.evaluated_org_date between first_weeks.week_start and first_weeks.week_end
            ),
            false
        ) as is_org_monitored
    from first_weeks
    left join monitored on first_weeks.employee_id = monitored.employee_id
    group by first_weeks.employee_id, first_weeks.week_start, first_weeks.week_end

),

employee_months as (

    select distinct
        employee_id,
        month_start,
        month_end
    from css_months

),

monthly_checks as (

    select
        employee_months.employee_id,
        employee_months.month_start,
        coalesce(
            bool_or(
                monitored.evaluated_date
                between employee_months.month_start and employee_months.month_end
            ),
            false
        ) as is_monitored,
        coalesce(
            bool_or(
                monitored.evaluated_org_date
                between employee_months.month_start and employee_months.month_end
            ),
            false
        ) as is_org_monitored
    from employee_months
    left join monitored on employee_months.employee_id = monitored.employee_id
    group by employee_months.employee_id, employee_months.month_start

),

weekly_checks as (

    select
        employee_months.employee_id,
        employee_months.month_start,
        bool_and(week_checks.is_monitored) as is_weekly,
        bool_and(week_checks.is_org_monitored) as is_org_weekly
    from employee_months
    inner join week_checks
        on
            employee_months.employee_id = week_checks.employee_id
            and employee_months.month_end >= week_checks.week_start
            and employee_months.month_start <= week_checks.week_end
    group by employee_months.employee_id, employee_months.month_start

),

covered as (

    select
        css_months.*,
        monthly_checks.is_monitored and coalesce(weekly_checks.is_weekly, true) as is_covered,
        monthly_checks.is_org_monitored
        and coalesce(weekly_checks.is_org_weekly, true) as is_org_covered
    from css_months
    inner join monthly_checks
        on
            css_months.employee_id = monthly_checks.employee_id
            and css_months.month_start = monthly_checks.month_start
    left join weekly_checks
        on
            css_months.employee_id = weekly_checks.employee_id
            and css_months.month_start = weekly_checks.month_start

),

final as (

    {% for level, unit, flag in [
        ('site', 'site_id', 'is_covered'),
        ('program', 'program_id', 'is_covered'),
        ('client', 'client_id', 'is_covered'),
        ('organisation', "'organisation'", 'is_org_covered'),
    ] %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            month_start as period_start,
            count(distinct employee_id) as active_css,
            count(distinct employee_id) filter (where {{ flag }}) as covered_css
        from covered
        where {{ unit }} is not null
        group by {{ unit }}, month_start
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
