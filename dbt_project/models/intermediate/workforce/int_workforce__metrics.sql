-- Workforce metrics in long form (METRICS.md section 6): numerator and denominator per metric,
-- unit of measure and period (local day, and month summed from the days).
-- - occupancy = (handling + acw) / (handling + acw + available); utilisation = (handling + acw +
--   available) / paid scheduled time; schedule_adherence = adherent / scheduled seconds; at the
--   agent, site, program, client and organisation levels (agents have no queue or channel).
-- - absenteeism = unplanned absence hours / paid scheduled hours, per site, program, client and
--   organisation, on local dates ("Workforce: Absenteeism Per Program From the Roster").
-- - forecast accuracy = 1 - WAPE = (sum actual - sum |actual - forecast|) / sum actual, bias =
--   sum (forecast - actual) / sum actual, within tolerance = intervals with |actual - forecast|
--   <= interval_tolerance * actual / intervals ("Workforce: Forecast Intervals Within
--   Tolerance"); AHT accuracy on handle time ("Workforce: Forecast Actuals Per Queue Interval,
--   AHT Weighted by Handled Volume"). Scheduling by day and month, staffing by month only.

with

agent_days as (

    select * from {{ ref('int_workforce__agent_days') }}

),

intervals as (

    select * from {{ ref('int_workforce__forecast_intervals') }}

),

absence_unit_days as (

    select * from {{ ref('int_workforce__absence_days') }}

),

agent_unit_days as (

    {% for level, unit, day in [
        ('agent', 'agent_id', 'work_date'),
        ('site', 'site_id', 'work_date'),
        ('program', 'program_id', 'work_date'),
        ('client', 'client_id', 'work_date'),
        ('organisation', "'organisation'", 'work_org_date'),
    ] %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            {{ day }} as period_start,
            {{ exact_sum('handling_seconds + acw_seconds') }} as productive_seconds,
            {{ exact_sum('available_seconds') }} as available_seconds,
            {{ exact_sum('paid_seconds') }} as paid_seconds,
            {{ exact_sum('scheduled_seconds') }} as scheduled_seconds,
            {{ exact_sum('adherent_seconds') }} as adherent_seconds
        from agent_days
        where {{ unit }} is not null and {{ day }} is not null
        group by {{ unit }}, {{ day }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

forecast_unit_days as (

    {% for level, unit, day in unit_levels('channel', 'interval_date', 'interval_org_date') %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            {{ day }} as period_start,
            horizon,
            sum(actual_offered) as actual_offered,
            {{ exact_sum('abs(actual_offered - forecast_offered)') }} as absolute_error,
            {{ exact_sum('forecast_offered - actual_offered') }} as net_error,
            count(*) as intervals,
            count(*) filter (
                where abs(actual_offered - forecast_offered)
                <= {{ var('interval_tolerance') }} * actual_offered
            ) as intervals_within,
            {{ exact_sum(
                "case when forecast_aht_seconds is not null then actual_handle_seconds else 0 end"
            ) }} as actual_handle_seconds,
            {{ exact_sum(
                "case when forecast_aht_seconds is not null"
                ~ " then abs(actual_handle_seconds - actual_handled * forecast_aht_seconds) else 0 end"
            ) }} as handle_absolute_error
        from intervals
        where {{ unit }} is not null and {{ day }} is not null
        group by {{ unit }}, {{ day }}, horizon
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

day_metrics as (

    select
        agent_unit_days.unit_level,
        agent_unit_days.unit_id,
        agent_unit_days.period_start,
        metric_parts.metric_id,
        metric_parts.numerator,
        metric_parts.denominator
    from agent_unit_days
    cross join
        {{ rows_of('metric_parts', ['metric_id', 'numerator', 'denominator'], [
            ("'occupancy'", 'productive_seconds', 'productive_seconds + available_seconds'),
            ("'utilisation'", 'productive_seconds + available_seconds', 'paid_seconds'),
            ("'schedule_adherence'", 'adherent_seconds', 'scheduled_seconds'),
        ]) }}

    union all

    select
        unit_level,
        unit_id,
        period_start,
        'absenteeism' as metric_id,
        absence_hours as numerator,
        scheduled_hours as denominator
    from absence_unit_days

    union all

    select
        forecast_unit_days.unit_level,
        forecast_unit_days.unit_id,
        forecast_unit_days.period_start,
        metric_parts.metric_id || '_' || forecast_unit_days.horizon as metric_id,
        metric_parts.numerator,
        metric_parts.denominator
    from forecast_unit_days
    cross join
        {{ rows_of('metric_parts', ['metric_id', 'numerator', 'denominator'], [
            ("'forecast_accuracy'", 'actual_offered - absolute_error', 'actual_offered'),
            ("'forecast_bias'", 'net_error', 'actual_offered'),
            ("'forecast_within_tolerance'", 'intervals_within', 'intervals'),
        ]) }}

    union all

    -- AHT accuracy only where the horizon's snapshot forecast an AHT for handled contacts
    select
        unit_level,
        unit_id,
        period_start,
        'forecast_accuracy_' || horizon || '_aht' as metric_id,
        actual_handle_seconds - handle_absolute_error as numerator,
        actual_handle_seconds as denominator
    from forecast_unit_days
    where actual_handle_seconds > 0 or handle_absolute_error > 0

),

final as (

    -- staffing forecasts are judged by the month only (METRICS.md "same, monthly")
    {{ day_and_month_rows('day_metrics', day_where="metric_id not like '%staffing%'") }}

)

select * from final
