-- The metric mart: one row per metric x unit of measure x period (local day and month).
-- Every rate is its summed numerator over its summed denominator at that level, never an
-- average of lower-level rates; a zero denominator gives NULL with a reason. Each metric
-- family contributes one long-form model (unit, period, metric_id, numerator, denominator),
-- optionally with `sample_size` and `sample_selection` ('random' | 'nonrandom') for sampled
-- proportions, and `not_countable_reason` where the family knows why a value cannot be had
-- (it wins); families are stacked by column name, so a family without them gets NULLs.
--
-- Sampled proportions (metric_definitions.sampled: QA and survey metrics) carry their sample
-- size (the denominator unless the family says otherwise) and a 95% Wilson score interval, and
-- are not countable when the sample is non-random ('biased_sample'), or has fewer than
-- var('min_sample') items or a margin (half-width) wider than var('max_margin')
-- ('not_indicative'): the "Indicative" of SCORING.md's CUIKA rule. A metric period built from a
-- source that failed the raw completeness gate is 'incomplete_source' (the "Consistent" of CUIKA).

{%- set z2 = var('wilson_z') ~ ' * ' ~ var('wilson_z') %}
{%- set contract = [
    ('unit_level', 'string'),
    ('unit_id', 'string'),
    ('period_grain', 'string'),
    ('period_start', 'date'),
    ('metric_id', 'string'),
    ('numerator', 'double'),
    ('denominator', 'double'),
    ('sample_size', 'bigint'),
    ('sample_selection', 'string'),
    ('not_countable_reason', 'string'),
] %}

with

family_contract as (

    -- The columns a family model may give, typed; no rows.
    select {{ typed_nulls(contract) }}
    where false

),

family_metrics as (

    select * from family_contract
    {% for family in [
        'int_voice__metrics',
        'int_tickets__metrics',
        'int_chat__metrics',
        'int_repeat_contacts__metrics',
        'int_quality__metrics',
        'int_surveys__metrics',
        'int_digital__metrics',
        'int_cost__metrics',
        'int_workforce__metrics',
        'int_people__metrics',
    ] %}
        {{ union_all_by_name(ref(family), contract) }}
    {% endfor %}

),

definitions as (

    select * from {{ ref('metric_definitions') }}

),

incomplete as (

    -- periods built from a source that failed the raw gate (issue 5; SCORING.md CUIKA "Consistent")
    select * from {{ ref('int_gate__incomplete_periods') }}

),

measured as (

    select
        family_metrics.*,
        definitions.metric_name,
        definitions.aggregation,
        definitions.direction,
        definitions.metric_type,
        definitions.copc_item,
        definitions.sampled,
        incomplete.metric_id is not null as is_incomplete,
        case
            when definitions.sampled
                then coalesce(family_metrics.sample_size, family_metrics.denominator)
        end as n,
        case
            when definitions.sampled and family_metrics.denominator > 0
                then family_metrics.numerator / family_metrics.denominator
        end as p
    from family_metrics
    inner join definitions on family_metrics.metric_id = definitions.metric_id
    left join incomplete
        on
            family_metrics.metric_id = incomplete.metric_id
            and family_metrics.unit_level = incomplete.unit_level
            and family_metrics.unit_id = incomplete.unit_id
            and family_metrics.period_grain = incomplete.period_grain
            and family_metrics.period_start = incomplete.period_start

),

wilson as (

    -- The 95% Wilson score interval: centre (p + z^2/2n) / (1 + z^2/n), half-width
    -- z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n). Its closed end is exact at p = 0 and p = 1.
    select
        *,
        (p + {{ z2 }} / (2 * n)) / (1 + {{ z2 }} / n) as centre,
        {{ var('wilson_z') }}
        * sqrt(p * (1 - p) / n + {{ z2 }} / (4 * n * n))
        / (1 + {{ z2 }} / n) as half
    from measured

),

final as (

    select
        metric_id,
        metric_name,
        unit_level,
        unit_id,
        period_grain,
        period_start,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        -- `value` is a keyword, but it is the contract's column name (issue 3)
        case
            when aggregation = 'count' then cast(numerator as double)
            when denominator > 0 then numerator / denominator
        end as value,  -- noqa: RF04
        cast(n as bigint) as sample_size,
        case when p = 0 then 0.0 when p is not null then greatest(centre - half, 0.0) end as ci_low,
        case when p = 1 then 1.0 when p is not null then least(centre + half, 1.0) end as ci_high,
        direction,
        metric_type,
        cast(copc_item as string) as copc_item,
        case
            when not_countable_reason is not null then not_countable_reason
            when is_incomplete then 'incomplete_source'
            when aggregation <> 'count' and not denominator > 0 then 'zero_denominator'
            when sampled and sample_selection = 'nonrandom' then 'biased_sample'
            when sampled and (n < {{ var('min_sample') }} or half > {{ var('max_margin') }})
                then 'not_indicative'
        end as not_countable_reason
    from wilson

)

select
    {{ star_except(['not_countable_reason']) }},
    not_countable_reason is null as is_countable,
    not_countable_reason
from final
