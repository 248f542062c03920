-- mart.scorecard_items: one row per scope (the organisation, each site) x item of the edition's
-- points table (seeds/scoring_points.csv, var scoring_edition) x part (SCORING.md sections 4-6).
-- - Category 4.0 items from the scored metric-units of the scope (int_scoring__scope_metrics):
--   4.1, 4.2a, 4.2b, 4.5: min(100, 2 M + 0.5 I); 4.3 and 4.4: the same per metric type present
--   ('item' row = mean of the part rows, equal shares); 4.6: the 50 rule and the 75 rule on M and
--   M + I over every scored metric of the scope's applicable Category 4.0 items, combined by var
--   rule_50_75_weights.
-- - Categories 1.0-3.0 from the self-assessment (seeds/self_assessment.csv): item % =
--   min(approach %, deployment %); an item without a row is not assessed and earns 0.
-- - An item drops out (0 points available) by its drops_when and the centre's channels, and a
--   Category 4.0 item also when no metric of the scope is scored for it.
-- Decisions (DECISIONLOG.md): "Scoring: an Item Without Scored Metrics Is Not Applicable",
-- "Scoring: Without a Self-Assessment Categories 1.0-3.0 Earn 0", "Scoring: Metric Types of Items
-- 4.3 and 4.4", "Scoring: Applicability From the Data, Centre-Wide".

{%- set weights = var('rule_50_75_weights') %}

with

settings as (

    select * from {{ ref('int_scoring__settings') }}

),

points as (

    select * from {{ ref('scoring_points') }}

),

scopes as (

    select * from {{ ref('int_scoring__scopes') }}

),

metrics as (

    select * from {{ ref('int_scoring__scope_metrics') }}

),

assessment as (

    select * from {{ ref('self_assessment') }}

),

edition_points as (

    select
        points.item,
        points.category,
        points.item_name,
        points.edition,
        points.points,
        case
            when points.drops_when = 'no_digital' and not settings.has_digital
                then 'not applicable: no digital-assisted KCRP'
            when points.drops_when = 'digital_only' and not settings.has_human_assisted
                then 'not applicable: no human-assisted KCRP (digital only)'
        end as dropped_note
    from points
    cross join settings
    where points.edition = settings.edition

),

item_counts as (

    select
        scope_level,
        scope_id,
        copc_item as item,
        count(*) as metrics_counted,
        count(*) filter (where meets_level) as metrics_level,
        count(*) filter (where is_improving) as metrics_improving
    from metrics
    group by scope_level, scope_id, copc_item

),

overall_counts as (

    -- item 4.6: every scored metric of the scope's applicable Category 4.0 items
    select
        metrics.scope_level,
        metrics.scope_id,
        '4.6' as item,
        count(*) as metrics_counted,
        count(*) filter (where metrics.meets_level) as metrics_level,
        count(*) filter (where metrics.is_improving) as metrics_improving
    from metrics
    inner join edition_points
        on
            metrics.copc_item = edition_points.item
            and edition_points.category = '4.0'
            and edition_points.dropped_note is null
    group by metrics.scope_level, metrics.scope_id

),

type_parts as (

    -- items 4.3 and 4.4, one part per metric type present
    select
        metrics.scope_level,
        metrics.scope_id,
        metrics.copc_item as item,
        metrics.score_type as part,
        count(*) as metrics_counted,
        count(*) filter (where metrics.meets_level) as metrics_level,
        count(*) filter (where metrics.is_improving) as metrics_improving,
        cast(100 * count(*) filter (where metrics.meets_level) as double) / count(*) as m_pct,
        cast(100 * count(*) filter (where metrics.is_improving) as double) / count(*) as i_pct
    from metrics
    where metrics.copc_item in ('4.3', '4.4')
    group by metrics.scope_level, metrics.scope_id, metrics.copc_item, metrics.score_type

),

type_scores as (

    select
        *,
        {{ copc_item_score('m_pct', 'i_pct') }} as score_pct,
        count(*) over (partition by scope_level, scope_id, item) as types_present
    from type_parts

),

type_means as (

    select
        scope_level,
        scope_id,
        item,
        {{ exact_sum('score_pct') }} / count(score_pct) as score_pct,
        count(*) as types_present
    from type_scores
    group by scope_level, scope_id, item

),

counted as (

    select
        scopes.scope_level,
        scopes.scope_id,
        edition_points.edition,
        edition_points.category,
        edition_points.item,
        edition_points.item_name,
        edition_points.points,
        edition_points.dropped_note,
        case
            when edition_points.category = '4.0'
                then coalesce(overall_counts.metrics_counted, item_counts.metrics_counted, 0)
        end as metrics_counted,
        case
            when edition_points.category = '4.0'
                then coalesce(overall_counts.metrics_level, item_counts.metrics_level, 0)
        end as metrics_level,
        case
            when edition_points.category = '4.0'
                then coalesce(overall_counts.metrics_improving, item_counts.metrics_improving, 0)
        end as metrics_improving,
        assessment.item is not null as is_assessed,
        cast(assessment.approach_pct as double) as approach_pct,
        {{ deployment_pct('assessment.programs_deploying', 'assessment.programs_total') }}
            as deployment_pct,
        assessment.programs_total,
        assessment.programs_deploying,
        type_means.score_pct as type_mean_pct,
        type_means.types_present
    from scopes
    cross join edition_points
    left join item_counts
        on
            scopes.scope_level = item_counts.scope_level
            and scopes.scope_id = item_counts.scope_id
            and edition_points.item = item_counts.item
            and edition_points.item <> '4.6'
    left join overall_counts
        on
            scopes.scope_level = overall_counts.scope_level
            and scopes.scope_id = overall_counts.scope_id
            and edition_points.item = overall_counts.item
    left join type_means
        on
            scopes.scope_level = type_means.scope_level
            and scopes.scope_id = type_means.scope_id
            and edition_points.item = type_means.item
    left join assessment
        on
            edition_points.item = assessment.item
            and edition_points.category <> '4.0'

),

rated as (

    select
        *,
        case
            when metrics_counted > 0 then cast(100 * metrics_level as double) / metrics_counted
        end as m_pct,
        case
            when metrics_counted > 0 then cast(100 * metrics_improving as double) / metrics_counted
        end as i_pct,
        case
            when metrics_counted > 0
                then cast(100 * (metrics_level + metrics_improving) as double) / metrics_counted
        end as mi_pct,
        dropped_note is null and (category <> '4.0' or metrics_counted > 0) as is_applicable
    from counted

),

scored as (

    select
        *,
        case
            when not is_applicable then null
            when category <> '4.0' then coalesce(least(approach_pct, deployment_pct), 0.0)
            when item in ('4.3', '4.4') then type_mean_pct
            when item = '4.6'
                then
                    {{ weights[0] }} * {{ rule_50_score('m_pct') }}
                    + {{ weights[1] }} * {{ rule_75_score('mi_pct') }}
            else {{ copc_item_score('m_pct', 'i_pct') }}
        end as score_pct
    from rated

),

item_rows as (

    select
        scope_level,
        scope_id,
        edition,
        category,
        item,
        item_name,
        'item' as part,
        metrics_counted,
        metrics_level,
        metrics_improving,
        m_pct,
        i_pct,
        approach_pct,
        deployment_pct,
        score_pct,
        case when is_applicable then points else 0 end as points_available,
        case when is_applicable then points * score_pct / 100 else 0.0 end as points_earned,
        is_applicable,
        case
            when dropped_note is not null then dropped_note
            when not is_applicable
                then 'not applicable: no scored metric in this scope (no target in force)'
            when category <> '4.0' and not is_assessed
                then 'not assessed: no self-assessment row for this item (earns 0)'
            when category <> '4.0'
                then
                    {{ printf(
                        'approach %.0f%%; %d of %d programs deploying: deployment %.0f%%',
                        ['approach_pct', 'programs_deploying', 'programs_total', 'deployment_pct']
                    ) }}
            when item in ('4.3', '4.4')
                then {{ printf('mean of %d metric types, equal shares', ['types_present']) }}
            when item = '4.6'
                then
                    {{ printf(
                        weights[0] ~ ' x 50 rule (M %.1f%%) + '
                        ~ weights[1] ~ ' x 75 rule (M+I %.1f%%)',
                        ['m_pct', 'mi_pct']
                    ) }}
            else {{ printf('min(100, 2 x M %.1f%% + 0.5 x I %.1f%%)', ['m_pct', 'i_pct']) }}
        end as note
    from scored

),

type_rows as (

    select
        type_scores.scope_level,
        type_scores.scope_id,
        scored.edition,
        scored.category,
        scored.item,
        scored.item_name,
        type_scores.part,
        type_scores.metrics_counted,
        type_scores.metrics_level,
        type_scores.metrics_improving,
        type_scores.m_pct,
        type_scores.i_pct,
        null as approach_pct,
        null as deployment_pct,
        type_scores.score_pct,
        null as points_available,
        null as points_earned,
        true as is_applicable,
        {{ printf(
            'share 1/%d of the item; min(100, 2 x M %.1f%% + 0.5 x I %.1f%%)',
            ['type_scores.types_present', 'type_scores.m_pct', 'type_scores.i_pct']
        ) }} as note
    from type_scores
    inner join scored
        on
            type_scores.scope_level = scored.scope_level
            and type_scores.scope_id = scored.scope_id
            and type_scores.item = scored.item
    where scored.is_applicable

),

rule_rows as (

    select
        scope_level,
        scope_id,
        edition,
        category,
        item,
        item_name,
        '50_rule' as part,
        metrics_counted,
        metrics_level,
        metrics_improving,
        m_pct,
        i_pct,
        null as approach_pct,
        null as deployment_pct,
        {{ rule_50_score('m_pct') }} as score_pct,
        null as points_available,
        null as points_earned,
        true as is_applicable,
        {{ printf('M %.1f%% (50 needed)', ['m_pct']) }} as note
    from scored
    where item = '4.6' and is_applicable

    union all

    select
        scope_level,
        scope_id,
        edition,
        category,
        item,
        item_name,
        '75_rule' as part,
        metrics_counted,
        metrics_level,
        metrics_improving,
        m_pct,
        i_pct,
        null as approach_pct,
        null as deployment_pct,
        {{ rule_75_score('mi_pct') }} as score_pct,
        null as points_available,
        null as points_earned,
        true as is_applicable,
        {{ printf('M+I %.1f%% (75 needed)', ['mi_pct']) }} as note
    from scored
    where item = '4.6' and is_applicable

),

final as (

    -- the same columns in the same order
    select * from item_rows
    union all
    select * from type_rows
    union all
    select * from rule_rows

)

select
    cast(scope_level as string) as scope_level,
    cast(scope_id as string) as scope_id,
    cast(edition as string) as edition,
    cast(category as string) as category,
    cast(item as string) as item,
    cast(item_name as string) as item_name,
    cast(part as string) as part,
    cast(metrics_counted as integer) as metrics_counted,
    cast(metrics_level as integer) as metrics_level,
    cast(metrics_improving as integer) as metrics_improving,
    cast(m_pct as double) as m_pct,
    cast(i_pct as double) as i_pct,
    cast(approach_pct as double) as approach_pct,
    cast(deployment_pct as double) as deployment_pct,
    cast(score_pct as double) as score_pct,
    cast(points_available as integer) as points_available,
    cast(points_earned as double) as points_earned,
    is_applicable,
    cast(note as string) as note
from final
