-- CSS attrition per month in long form (METRICS.md section 7): attrition_site at organisation
-- and site level, attrition_program at program and client level. numerator = separations in the
-- month; denominator = the sum of the daily active CSS counts / 365 (person-years), so the value
-- is separations / average daily headcount × 365 / days in the period. Decisions
-- (DECISIONLOG.md): "People: Attrition Is Separations per Person-Year, by Month", "People: Active
-- Through the Separation Date", "People: Who Is a Leaver at Each Level", "People: the Window the
-- Roster Covers".

{#- attrition_site at organisation and site level, attrition_program at program and client
    level, each with its own leaver flag (int_people__assignments) #}
{%- set attrition = [
    ('organisation', "'organisation'", 'attrition_site', 'is_leaver'),
    ('site', 'site_id', 'attrition_site', 'is_leaver'),
    ('program', 'program_id', 'attrition_program', 'is_program_leaver'),
    ('client', 'client_id', 'attrition_program', 'is_client_leaver'),
] %}

with

assignments as (

    select * from {{ ref('int_people__assignments') }}

),

bounds as (

    select distinct
        window_start_date,
        as_of_date
    from assignments

),

days as (

    select date_series.roster_date
    from bounds
    cross join
        {{ date_series(
            'bounds.window_start_date', 'bounds.as_of_date', 'date_series', 'roster_date'
        ) }}

),

-- active on day d: hire_date <= d <= separation_date (the separation date is the last day)
active as (

    select
        days.roster_date,
        assignments.*
    from days
    inner join assignments
        on
            days.roster_date >= assignments.hire_date
            and (
                assignments.separation_date is null
                or days.roster_date <= assignments.separation_date
            )

),

headcount_days as (

    {% for level, unit, metric, leaver in attrition %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            '{{ metric }}' as metric_id,
            roster_date,
            count(distinct employee_id) as headcount
        from active
        where {{ unit }} is not null
        group by {{ unit }}, roster_date
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

headcount_months as (

    select
        unit_level,
        unit_id,
        metric_id,
        cast(date_trunc('month', roster_date) as date) as period_start,
        sum(headcount) as headcount_days
    from headcount_days
    group by unit_level, unit_id, metric_id, date_trunc('month', roster_date)

),

separation_months as (

    {% for level, unit, metric, leaver in attrition %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            '{{ metric }}' as metric_id,
            cast(date_trunc('month', separation_date) as date) as period_start,
            count(*) as separations
        from assignments
        where
            {{ leaver }}
            and {{ unit }} is not null
            and separation_date between window_start_date and as_of_date
        group by {{ unit }}, date_trunc('month', separation_date)
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- separations / (sum of daily headcounts / 365) = separations / average headcount * 365 / days
-- in the period: the annualised rate over person-years; no day rows (a day is no period)
attrition_months as (

    select
        h.unit_level,
        h.unit_id,
        'month' as period_grain,
        h.period_start,
        h.metric_id,
        cast(coalesce(s.separations, 0) as double) as numerator,
        cast(h.headcount_days as double) / 365 as denominator
    from headcount_months as h
    left join separation_months as s
        on
            h.unit_level = s.unit_level
            and h.unit_id = s.unit_id
            and h.metric_id = s.metric_id
            and h.period_start = s.period_start

)

select * from attrition_months
