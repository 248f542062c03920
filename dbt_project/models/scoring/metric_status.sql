-- mart.metric_status: every month row of mart.metric_values judged against the target in force
-- that month (SCORING.md sections 1-2). A target row applies to a metric-unit-month when its
-- metric and unit level match, its unit_id is the unit's or '*', and it is in force on the
-- month's first day (effective_from <= month <= effective_to, or open-ended). Per basis the most
-- specific row wins (an exact unit_id beats '*', then the latest effective_from); when a benchmark
-- and a client requirement both apply the stricter one binds (for a band the intersection).
-- A month whose value meets the target but is not countable (CUIKA) counts as not met.
-- Decision (DECISIONLOG.md): "Scoring: Which Target Applies to a Month".

with

metric_values as (

    select * from {{ ref('metric_values') }}

),

targets as (

    select * from {{ ref('scoring_targets') }}

),

months as (

    select
        metric_id,
        metric_name,
        metric_type,
        copc_item,
        unit_level,
        unit_id,
        period_start as month,  -- noqa: RF04
        value,
        is_countable,
        not_countable_reason
    from metric_values
    where period_grain = 'month'

),

candidates as (

    select
        months.metric_id,
        months.unit_level,
        months.unit_id,
        months.month,
        targets.direction,
        targets.target_value,
        targets.target_low,
        targets.target_high,
        targets.basis,
        row_number() over (
            partition by
                months.metric_id, months.unit_level, months.unit_id, months.month, targets.basis
            order by targets.unit_id = months.unit_id desc, targets.effective_from desc
        ) as rank_in_basis
    from months
    inner join targets
        on
            months.metric_id = targets.metric_id
            and months.unit_level = targets.unit_level
            and (months.unit_id = targets.unit_id or targets.unit_id = '*')
            and months.month >= targets.effective_from
            and (targets.effective_to is null or months.month <= targets.effective_to)

),

per_basis as (

    -- the target of each basis, with how strict it is (higher = stricter)
    select
        *,
        case direction
            when 'higher_is_better' then target_value
            when 'lower_is_better' then -target_value
            else target_low - target_high
        end as strictness
    from candidates
    where rank_in_basis = 1

),

resolved as (

    select
        metric_id,
        unit_level,
        unit_id,
        month,
        {{ any_value('direction') }} as direction,
        case {{ any_value('direction') }}
            when 'higher_is_better' then max(target_value)
            when 'lower_is_better' then min(target_value)
        end as target_value,
        case when {{ any_value('direction') }} = 'band' then max(target_low) end as target_low,
        case when {{ any_value('direction') }} = 'band' then min(target_high) end as target_high,
        -- the basis of the binding target (on a tie, the client requirement)
        {{ arg_max('basis', make_struct([
            ('strictness', 'strictness'),
            ('is_client_requirement', "basis = 'client_requirement'"),
        ])) }} as target_basis
    from per_basis
    group by metric_id, unit_level, unit_id, month

),

judged as (

    select
        months.metric_id,
        months.metric_name,
        months.metric_type,
        months.copc_item,
        months.unit_level,
        months.unit_id,
        months.month,
        months.value,
        resolved.direction,
        resolved.target_value,
        resolved.target_low,
        resolved.target_high,
        resolved.target_basis,
        coalesce(
            case resolved.direction
                when 'higher_is_better' then months.value >= resolved.target_value
                when 'lower_is_better' then months.value <= resolved.target_value
                when 'band'
                    then months.value between resolved.target_low and resolved.target_high
            end,
            false
        ) as meets_target,
        months.is_countable,
        months.not_countable_reason
    from months
    inner join resolved
        on
            months.metric_id = resolved.metric_id
            and months.unit_level = resolved.unit_level
            and months.unit_id = resolved.unit_id
            and months.month = resolved.month

)

select
    *,
    meets_target and is_countable as counts_as_met
from judged
