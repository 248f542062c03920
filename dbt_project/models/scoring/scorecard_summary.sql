-- mart.scorecard_summary: one row per scope (the organisation, each site) with the certification
-- verdict of SCORING.md section 7: certified when the total reaches points_needed (var
-- certification_share of the points available, truncated), every applicable category 1.0-3.0 item
-- has approach 100%, and the 50/75 rule holds (M >= 50 and M + I >= 75 over the scope's scored
-- Category 4.0 metrics) for the scope and, for the organisation, for every site. Each failed
-- condition is one line naming the scope and the shortfall; the organisation's list includes every
-- site's 50/75 failures. certified is exactly "no failed condition". Renewal extension: more than
-- 65% of the metrics at level and more than 75% at level or improving.
-- Decisions (DECISIONLOG.md): "Scoring: Without a Self-Assessment Categories 1.0-3.0 Earn 0",
-- "Scoring: a Scorecard Is Provisional Below Six Months of Data".

with

settings as (

    select * from {{ ref('int_scoring__settings') }}

),

items as (

    select
        *,
        item
        || ' ('
        || coalesce({{ printf('%.0f%%', ['approach_pct']) }}, 'not assessed')
        || ')' as approach_text
    from {{ ref('scorecard_items') }}

),

metrics as (

    select * from {{ ref('int_scoring__scope_metrics') }}

),

assessment as (

    select * from {{ ref('self_assessment') }}

),

totals as (

    select
        scope_level,
        scope_id,
        {{ any_value('edition') }} as edition,
        sum(points_available) as points_available,
        {{ exact_sum('points_earned') }} as points_earned,
        sum(points_available) filter (where category <> '4.0') as self_assessed_points,
        coalesce(
            bool_and(coalesce(approach_pct = 100, false)) filter (
                where category <> '4.0' and is_applicable
            ),
            true
        ) as approach_ok,
        {{ ordered_string_agg(
            'approach_text',
            "', '",
            [
                "cast(split_part(item, '.', 1) as integer)",
                "cast(regexp_extract(split_part(item, '.', 2), '^[0-9]+', 0) as integer)",
                'item',
            ],
            where="category <> '4.0' and is_applicable and coalesce(approach_pct < 100, true)",
        ) }} as approach_short_items,
        coalesce(
            {{ any_value('metrics_counted') }} filter (where item = '4.6'), 0
        ) as metrics_counted,
        coalesce({{ any_value('metrics_level') }} filter (where item = '4.6'), 0) as metrics_level,
        coalesce(
            {{ any_value('metrics_improving') }} filter (where item = '4.6'), 0
        ) as metrics_improving
    from items
    where part = 'item'
    group by scope_level, scope_id

),

months as (

    select
        scope_level,
        scope_id,
        max(months_with_data) as months_with_data
    from metrics
    group by scope_level, scope_id

),

rated as (

    select
        totals.*,
        months.months_with_data,
        exists(select 1 from assessment) as self_assessed,
        cast(
            floor(
                cast({{ var('certification_share') }} as decimal(9, 4)) * totals.points_available
            ) as integer
        ) as points_needed,
        case
            when totals.metrics_counted > 0
                then cast(100 * totals.metrics_level as double) / totals.metrics_counted
        end as m_pct,
        case
            when totals.metrics_counted > 0
                then
                    cast(100 * (totals.metrics_level + totals.metrics_improving) as double)
                    / totals.metrics_counted
        end as mi_pct
    from totals
    left join months
        on
            totals.scope_level = months.scope_level
            and totals.scope_id = months.scope_id

),

-- each condition's line, NULL when it holds
condition_lines as (

    select
        *,
        -- the 50/75 rule's failures (the organisation's verdict repeats every site's)
        case
            when metrics_counted = 0
                then {{ printf(
                    '%s %s: 50/75 rule not shown: no scored Category 4.0 metric '
                    ~ '(no target in force)',
                    ['scope_level', 'scope_id']
                ) }}
        end as no_metric_line,
        case
            when m_pct < 50
                then {{ printf(
                    '%s %s: 50 rule M %.1f%% < 50%% (short %.1f points)',
                    ['scope_level', 'scope_id', 'm_pct', '50 - m_pct']
                ) }}
        end as rule_50_line,
        case
            when mi_pct < 75
                then {{ printf(
                    '%s %s: 75 rule M+I %.1f%% < 75%% (short %.1f points)',
                    ['scope_level', 'scope_id', 'mi_pct', '75 - mi_pct']
                ) }}
        end as rule_75_line,
        case
            when round(points_earned, 6) < points_needed
                then {{ printf(
                    '%s %s: total %.1f of %d points (%.1f%%) < %d needed (short %.1f points)',
                    [
                        'scope_level',
                        'scope_id',
                        'points_earned',
                        'points_available',
                        '100 * points_earned / nullif(points_available, 0)',
                        'points_needed',
                        'points_needed - points_earned',
                    ]
                ) }}
        end as total_line,
        case
            when not self_assessed
                then {{ printf(
                    '%s %s: categories 1.0-3.0 not self-assessed (their %d points earn 0)',
                    ['scope_level', 'scope_id', 'self_assessed_points']
                ) }}
            when not approach_ok
                then {{ printf(
                    '%s %s: approach below 100%% on items %s',
                    ['scope_level', 'scope_id', 'approach_short_items']
                ) }}
        end as approach_line
    from rated

),

conditions as (

    select
        *,
        {{ non_null_list(['no_metric_line', 'rule_50_line', 'rule_75_line']) }} as rule_conditions,
        {{ non_null_list(['total_line', 'approach_line']) }} as other_conditions
    from condition_lines

),

site_rules as (

    select
        {{ ordered_list_concat_agg('rule_conditions', 'scope_id') }} as site_rule_conditions
    from conditions
    where scope_level = 'site'

),

final as (

    select
        conditions.scope_level,
        conditions.scope_id,
        conditions.edition,
        settings.scoring_month,
        settings.period_start,
        settings.period_end,
        settings.trend_rule,
        coalesce(
            conditions.months_with_data < {{ var('min_measurement_months') }}, true
        ) as is_provisional,
        conditions.self_assessed,
        cast(conditions.points_available as integer) as points_available,
        cast(conditions.points_earned as double) as points_earned,
        100 * conditions.points_earned / nullif(conditions.points_available, 0) as score_pct,
        conditions.points_needed,
        conditions.m_pct,
        conditions.mi_pct,
        conditions.m_pct >= 50 as rule_50_met,
        conditions.mi_pct >= 75 as rule_75_met,
        case when conditions.self_assessed then conditions.approach_ok end as approach_all_100,
        {{ list_concat([
            'conditions.other_conditions',
            'conditions.rule_conditions',
            "case when conditions.scope_level = 'organisation' then coalesce("
            ~ 'site_rules.site_rule_conditions, ' ~ empty_string_list() ~ ') else '
            ~ empty_string_list() ~ ' end',
        ]) }} as failed_conditions,
        conditions.m_pct as renewal_met_pct,
        conditions.mi_pct as renewal_met_or_improving_pct,
        coalesce(conditions.m_pct > 65 and conditions.mi_pct > 75, false) as renewal_extension
    from conditions
    cross join settings
    cross join site_rules

)

select
    scope_level,
    scope_id,
    edition,
    scoring_month,
    period_start,
    period_end,
    trend_rule,
    is_provisional,
    self_assessed,
    points_available,
    points_earned,
    score_pct,
    points_needed,
    m_pct,
    mi_pct,
    rule_50_met,
    rule_75_met,
    approach_all_100,
    {{ list_length('failed_conditions') }} = 0 and points_available > 0 as certified,
    cast(failed_conditions as {{ type_string_list() }}) as failed_conditions,
    renewal_met_pct,
    renewal_met_or_improving_pct,
    renewal_extension
from final
