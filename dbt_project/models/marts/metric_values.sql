-- The metric mart: one row per metric x unit of measure x period (local day and month).
-- Every rate is its summed numerator over its summed denominator at that level, never an
-- average of lower-level rates; a zero denominator gives NULL with a reason. Each metric
-- family contributes one long-form model (unit, period, metric_id, numerator, denominator).

with

family_metrics as (

    select * from {{ ref('int_voice__metrics') }}
    union all
    select * from {{ ref('int_tickets__metrics') }}
    union all
    select * from {{ ref('int_chat__metrics') }}
    union all
    select * from {{ ref('int_repeat_contacts__metrics') }}

),

definitions as (

    select * from {{ ref('metric_definitions') }}

),

final as (

    select
        family_metrics.metric_id,
        definitions.metric_name,
        family_metrics.unit_level,
        family_metrics.unit_id,
        family_metrics.period_grain,
        family_metrics.period_start,
        cast(family_metrics.numerator as double) as numerator,
        cast(family_metrics.denominator as double) as denominator,
        -- `value` is a keyword, but it is the contract's column name (issue 3)
        case
            when definitions.aggregation = 'count' then cast(family_metrics.numerator as double)
            when family_metrics.denominator > 0
                then family_metrics.numerator / family_metrics.denominator
        end as value,  -- noqa: RF04
        cast(null as bigint) as sample_size,
        cast(null as double) as ci_low,
        cast(null as double) as ci_high,
        definitions.direction,
        definitions.metric_type,
        cast(definitions.copc_item as varchar) as copc_item,
        definitions.aggregation = 'count' or family_metrics.denominator > 0 as is_countable,
        case
            when definitions.aggregation <> 'count' and not family_metrics.denominator > 0
                then 'zero_denominator'
        end as not_countable_reason

    from family_metrics
    inner join definitions on family_metrics.metric_id = definitions.metric_id

)

select * from final
