-- People metrics in long form (METRICS.md section 7) at site, program, client and organisation
-- level: the attrition months of int_people__attrition, plus hiring_timeliness, hiring_quality
-- and training_quality. Roster dates are local dates as exported, so every level, the
-- organisation too, uses them as they are. Decisions (DECISIONLOG.md): "People: New Hires,
-- Survival and Proficiency", "People: Hiring Timeliness by Requested Start Date", "People: the
-- Window the Roster Covers".

{%- set levels = [
    ('site', 'site_id'),
    ('program', 'program_id'),
    ('client', 'client_id'),
    ('organisation', "'organisation'"),
] %}

with

assignments as (

    select * from {{ ref('int_people__assignments') }}

),

attrition as (

    select * from {{ ref('int_people__attrition') }}

),

-- hiring_timeliness by requested start day (its month is month-to-date, like attrition's);
-- training_quality by day of finishing training and hiring_quality by hire month (new hires
-- only) are cohorts whose outcome comes later: rows not known yet (NULL flags) stay out, and a
-- cohort month is published only when every one of its rows is known.
event_days as (

    {% for level, unit in levels %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            'hiring_timeliness' as metric_id,
            requested_start_date as period_start,
            count(*) filter (where hire_date <= requested_start_date) as numerator,
            count(*) as denominator,
            max(as_of_date) as as_of_date,
            0 as settle_days
        from assignments
        where
            {{ unit }} is not null
            and requested_start_date between window_start_date and as_of_date
        group by {{ unit }}, requested_start_date

        union all

        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            'training_quality' as metric_id,
            training_completed_date as period_start,
            count(*) filter (where is_proficient_within_30_days) as numerator,
            count(*) as denominator,
            max(as_of_date) as as_of_date,
            30 as settle_days
        from assignments
        where
            {{ unit }} is not null
            and training_completed_date >= window_start_date
            and is_proficient_within_30_days is not null
        group by {{ unit }}, training_completed_date

        union all

        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            'hiring_quality' as metric_id,
            hire_date as period_start,
            count(*) filter (where is_active_3_months_later) as numerator,
            count(*) as denominator,
            max(as_of_date) as as_of_date,
            null as settle_days
        from assignments
        where
            {{ unit }} is not null
            and is_new_hire
            and hire_date >= window_start_date
            and is_active_3_months_later is not null
        group by {{ unit }}, hire_date
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

event_months as (

    select
        unit_level,
        unit_id,
        'month' as period_grain,
        cast(date_trunc('month', period_start) as date) as period_start,
        metric_id,
        {{ exact_sum('numerator') }} as numerator,
        {{ exact_sum('denominator') }} as denominator
    from event_days
    group by unit_level, unit_id, metric_id, date_trunc('month', period_start)
    -- a cohort month settled: its last day plus the settling time is on the roster
    having
        metric_id = 'hiring_timeliness'
        or max(as_of_date)
        >= case
            when metric_id = 'hiring_quality'
                then cast(last_day(min(period_start)) + interval 3 month as date)
            else last_day(min(period_start)) + max(settle_days)
        end

),

final as (

    select
        unit_level,
        unit_id,
        period_grain,
        period_start,
        metric_id,
        numerator,
        denominator
    from attrition

    union all

    -- hiring_quality is a monthly cohort: no day rows
    select
        unit_level,
        unit_id,
        'day' as period_grain,
        period_start,
        metric_id,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator
    from event_days
    where metric_id <> 'hiring_quality'

    union all

    select
        unit_level,
        unit_id,
        period_grain,
        period_start,
        metric_id,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator
    from event_months

)

select * from final
