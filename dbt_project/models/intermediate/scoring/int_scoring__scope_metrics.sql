-- The scored metric-units of each scope, with the metric type each counts under in items 4.3 and
-- 4.4 (SCORING.md section 4). Organisation scope: the scored metric-units at organisation,
-- client, program, channel and queue level. Site scope: those at site level for that site plus
-- those of the site's queues. Each metric-unit counts once: a metric combined from several KCRPs
-- is one row at its higher unit, never one per KCRP. Decisions (DECISIONLOG.md): "Scoring: Which
-- Metric-Units Count in Which Scope", "Scoring: Metric Types of Items 4.3 and 4.4".

with

metric_period_status as (

    select * from {{ ref('metric_period_status') }}

),

scopes as (

    select * from {{ ref('int_scoring__scopes') }}

),

queues as (

    select * from {{ ref('stg_reference__queues') }}

),

organisation as (

    select
        scopes.scope_level,
        scopes.scope_id,
        metric_period_status.*
    from metric_period_status
    cross join scopes
    where
        scopes.scope_level = 'organisation'
        and metric_period_status.unit_level in (
            'organisation', 'client', 'program', 'channel', 'queue'
        )

),

sites as (

    select
        'site' as scope_level,
        coalesce(queues.site_id, metric_period_status.unit_id) as scope_id,
        metric_period_status.*
    from metric_period_status
    left join queues
        on
            metric_period_status.unit_level = 'queue'
            and metric_period_status.unit_id = queues.queue_id
    where
        metric_period_status.unit_level = 'site'
        or (metric_period_status.unit_level = 'queue' and queues.site_id is not null)

),

scoped as (

    -- the same columns in the same order
    select * from organisation
    union all
    select * from sites

),

final as (

    select
        scope_level,
        scope_id,
        metric_id,
        metric_type,
        copc_item,
        unit_level,
        unit_id,
        -- items 4.3 and 4.4 are split by these four types; the other types map to the nearest
        case
            when metric_type in ('service', 'quality', 'sales', 'efficiency') then metric_type
            when metric_type = 'cx' then 'quality'
            when metric_type in ('cost', 'support') then 'efficiency'
            else 'service'
        end as score_type,
        meets_level,
        is_improving,
        months_with_data,
        is_provisional
    from scoped

)

select * from final
