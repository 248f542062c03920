-- The scoring seeds agree with each other and with the metric dictionary; every row returned is a
-- problem, named in `problem`. Targets: the direction is the dictionary's (band exactly for a
-- metric without one), never a volume count, a band has low <= high, the others a target_value,
-- validity dates in order, and no two rows of one metric, level, unit and basis in force at once.
-- Self-assessment: percentages 0-100 and 0 <= deploying <= total, total >= 1.

with

targets as (

    select * from {{ ref('metric_targets') }}

),

definitions as (

    select * from {{ ref('metric_definitions') }}

),

assessment as (

    select * from {{ ref('self_assessment') }}

),

target_problems as (

    select
        targets.metric_id || ' ' || targets.unit_level || ' ' || targets.unit_id as row_key,
        case
            when definitions.metric_type = 'volume' then 'volume metrics are not scored'
            when
                definitions.direction is not null
                and targets.direction <> definitions.direction
                then 'direction differs from metric_definitions'
            when definitions.direction is null and targets.direction <> 'band'
                then 'a metric without a direction takes a band'
            when
                targets.direction = 'band'
                and (
                    targets.target_low is null
                    or targets.target_high is null
                    or targets.target_low > targets.target_high
                )
                then 'a band needs target_low <= target_high'
            when targets.direction <> 'band' and targets.target_value is null
                then 'target_value missing'
            when targets.effective_to < targets.effective_from
                then 'effective_to before effective_from'
        end as problem
    from targets
    inner join definitions on targets.metric_id = definitions.metric_id

),

overlapping as (

    select
        a.metric_id || ' ' || a.unit_level || ' ' || a.unit_id as row_key,
        'two rows of the same basis in force at once' as problem
    from targets as a
    inner join targets as b
        on
            a.metric_id = b.metric_id
            and a.unit_level = b.unit_level
            and a.unit_id = b.unit_id
            and a.basis = b.basis
            and a.effective_from < b.effective_from
            and (a.effective_to is null or a.effective_to >= b.effective_from)

),

assessment_problems as (

    select
        item as row_key,
        'self-assessment out of range' as problem
    from assessment
    where
        approach_pct not between 0 and 100
        or programs_total < 1
        or programs_deploying not between 0 and programs_total

)

select * from target_problems where problem is not null
union all
select * from overlapping
union all
select * from assessment_problems
