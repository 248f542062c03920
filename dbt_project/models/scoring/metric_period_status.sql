-- mart.metric_period_status: each scored metric-unit over the measurement period ending at the
-- scoring month (SCORING.md section 3). Scored: a metric-unit with a target in force at the
-- scoring month and at least one judged month (mart.metric_status) in the period.
-- Level: met (and countable) in at least 3/4 of the months with data (a month row, value or not).
-- Trend, only for a metric not at level, by var trend_rule:
-- - regression: OLS slope of the monthly value on the month index; t = slope / SE(slope) with
--   SE = sqrt(SSE / (n - 2) / Sxx); improving when the slope has the favourable sign and
--   |t| > the one-sided 5% critical value of Student's t with n - 2 degrees of freedom (seed
--   t_critical_one_sided) and n >= var trend_min_points (6);
-- - consecutive: each of the last var trend_points values better than the one before.
-- A band metric's trend is that of its distance outside the band (0 inside), which must fall.
-- Decisions (DECISIONLOG.md): "Scoring: Which Metric-Units Are Scored", "Scoring: Trend of a Band
-- Metric Is Its Distance to the Band", "Scoring: Trend Series Skip Months Without a Value".

{%- set min_points = var('trend_min_points') %}
{%- set trend_points = var('trend_points') %}

with

settings as (

    select * from {{ ref('int_scoring__settings') }}

),

metric_status as (

    select * from {{ ref('metric_status') }}

),

targets as (

    select * from {{ ref('scoring_targets') }}

),

t_critical as (

    select * from {{ ref('t_critical_one_sided') }}

),

in_period as (

    select
        metric_status.*,
        settings.scoring_month,
        settings.period_start,
        settings.period_end,
        settings.trend_rule,
        {{ months_between('settings.period_start', 'metric_status.month') }} as month_index,
        -- +1 when a rising series improves, -1 when a falling one does
        case when metric_status.direction = 'higher_is_better' then 1 else -1 end as favourable,
        case
            when metric_status.direction = 'band'
                then greatest(
                    metric_status.target_low - metric_status.value,
                    metric_status.value - metric_status.target_high,
                    0
                )
            else metric_status.value
        end as trend_value
    from metric_status
    cross join settings
    where metric_status.month between settings.period_start and settings.period_end

),

required as (

    -- metric-units with a target in force at the scoring month
    select distinct
        in_period.metric_id,
        in_period.unit_level,
        in_period.unit_id
    from in_period
    inner join targets
        on
            in_period.metric_id = targets.metric_id
            and in_period.unit_level = targets.unit_level
            and (in_period.unit_id = targets.unit_id or targets.unit_id = '*')
            and in_period.scoring_month >= targets.effective_from
            and (targets.effective_to is null or in_period.scoring_month <= targets.effective_to)

),

series as (

    -- months with a value, numbered from the last, with the value before each
    select
        metric_id,
        unit_level,
        unit_id,
        favourable,
        trend_value,
        row_number() over metric_unit_desc as rank_from_last,
        lag(trend_value) over metric_unit as previous_value
    from in_period
    where trend_value is not null
    window
        metric_unit as (partition by metric_id, unit_level, unit_id order by month),
        metric_unit_desc as (partition by metric_id, unit_level, unit_id order by month desc)

),

consecutive as (

    select
        metric_id,
        unit_level,
        unit_id,
        count(*) filter (
            where
            rank_from_last <= {{ trend_points }}
            and favourable * (trend_value - previous_value) > 0
        ) = {{ trend_points }} as is_consecutive_better,
        least(count(*), {{ trend_points + 1 }}) as points_used
    from series
    group by metric_id, unit_level, unit_id

),

aggregated as (

    select
        metric_id,
        unit_level,
        unit_id,
        {{ any_value('scoring_month') }} as scoring_month,
        {{ any_value('period_start') }} as period_start,
        {{ any_value('period_end') }} as period_end,
        {{ any_value('trend_rule') }} as trend_rule,
        {{ arg_max('metric_name', 'month') }} as metric_name,
        {{ arg_max('metric_type', 'month') }} as metric_type,
        {{ arg_max('copc_item', 'month') }} as copc_item,
        {{ arg_max('direction', 'month') }} as direction,
        {{ any_value('favourable') }} as favourable,
        count(*) as months_with_data,
        count(*) filter (where counts_as_met) as months_met,
        -- ordered, so the sums inside do not depend on the order the months arrive in
        cast(
            {{ ordered_aggregate('regr_count', 'trend_value, month_index', 'month_index') }}
            as integer
        ) as regression_n,
        {{ ordered_aggregate('regr_slope', 'trend_value, month_index', 'month_index') }} as slope,
        {{ ordered_aggregate('regr_sxx', 'trend_value, month_index', 'month_index') }} as sxx,
        {{ ordered_aggregate('regr_syy', 'trend_value, month_index', 'month_index') }} as syy,
        {{ ordered_aggregate('regr_sxy', 'trend_value, month_index', 'month_index') }} as sxy
    from in_period
    group by metric_id, unit_level, unit_id

),

tested as (

    select
        aggregated.*,
        consecutive.is_consecutive_better,
        consecutive.points_used,
        cast(100 * aggregated.months_met as double) / aggregated.months_with_data as level_pct,
        4 * aggregated.months_met >= 3 * aggregated.months_with_data as meets_level,
        case
            when aggregated.regression_n > 2 and aggregated.sxx > 0
                then
                    case
                        when aggregated.slope = 0 then 0.0
                        else aggregated.slope / sqrt(
                            greatest(
                                aggregated.syy - aggregated.sxy * aggregated.sxy / aggregated.sxx, 0
                            )
                            / (aggregated.regression_n - 2)
                            / aggregated.sxx
                        )
                    end
        end as t_stat,
        t_critical.t_critical
    from aggregated
    left join consecutive
        on
            aggregated.metric_id = consecutive.metric_id
            and aggregated.unit_level = consecutive.unit_level
            and aggregated.unit_id = consecutive.unit_id
    left join t_critical
        on least(aggregated.regression_n - 2, 240) = t_critical.df

),

trended as (

    select
        *,
        case trend_rule
            when 'regression'
                then
                    coalesce(
                        regression_n >= {{ min_points }}
                        and favourable * t_stat > t_critical,
                        false
                    )
            else coalesce(is_consecutive_better, false)
        end as is_trending,
        case trend_rule
            when 'regression' then regression_n
            else coalesce(points_used, 0)
        end as trend_n
    from tested

),

explained as (

    select
        *,
        (not meets_level) and is_trending as is_improving,
        {{ printf('met %d of %d month%s (%.0f%%)', [
            'months_met',
            'months_with_data',
            "case when months_with_data = 1 then '' else 's' end",
            'level_pct',
        ]) }} as level_text,
        case
            when slope is null then 'no slope'
            else
                {{ printf('slope %+.4g/month', ['slope']) }}
                || case when direction = 'band' then ' outside the band' else '' end
        end as slope_text
    from trended

),

final as (

    select
        explained.scoring_month,
        explained.period_start,
        explained.period_end,
        explained.metric_id,
        explained.metric_name,
        explained.metric_type,
        explained.copc_item,
        explained.unit_level,
        explained.unit_id,
        cast(explained.months_with_data as integer) as months_with_data,
        cast(explained.months_met as integer) as months_met,
        explained.level_pct,
        explained.meets_level,
        explained.trend_rule,
        cast(explained.trend_n as integer) as trend_n,
        explained.slope,
        explained.t_stat,
        explained.t_critical,
        explained.is_improving,
        case
            when explained.meets_level then 'level'
            when explained.is_improving then 'improving'
            else 'not_met'
        end as status,
        explained.level_text
        || case
            when explained.meets_level then ': meets level'
            when explained.trend_rule = 'consecutive'
                then
                    '; '
                    || case
                        when explained.is_improving
                            then 'each of the last {{ trend_points }} months better: improving'
                        when explained.trend_n < {{ trend_points + 1 }}
                            then
                                {{ printf(
                                    'only %d monthly values, ' ~ (trend_points + 1) ~ ' needed',
                                    ['explained.trend_n']
                                ) }}
                                || ': not improving'
                        else
                            'not each of the last {{ trend_points }} months better'
                            || ': not improving'
                    end
            when explained.regression_n < {{ min_points }}
                then
                    {{ printf(
                        '; only %d monthly values, ' ~ min_points ~ ' needed for a trend'
                        ~ ': not improving',
                        ['explained.regression_n']
                    ) }}
            when explained.is_improving
                then
                    {{ printf(
                        '; %s, t=%.2f > %.2f: improving',
                        ['explained.slope_text', 'abs(explained.t_stat)', 'explained.t_critical']
                    ) }}
            when explained.favourable * explained.slope <= 0
                then
                    '; ' || explained.slope_text
                    || case when explained.slope = 0 then ' (flat)' else ' (not favourable)' end
                    || ': not improving'
            else
                {{ printf(
                    '; %s, t=%.2f <= %.2f: not improving',
                    ['explained.slope_text', 'abs(explained.t_stat)', 'explained.t_critical']
                ) }}
        end
        || case
            when explained.months_with_data < {{ var('min_measurement_months') }}
                then
                    {{ printf('; provisional (%d month%s of data)', [
                        'explained.months_with_data',
                        "case when explained.months_with_data = 1 then '' else 's' end",
                    ]) }}
            else ''
        end as why,
        explained.months_with_data < {{ var('min_measurement_months') }} as is_provisional
    from explained
    inner join required
        on
            explained.metric_id = required.metric_id
            and explained.unit_level = required.unit_level
            and explained.unit_id = required.unit_id

)

select * from final
