{#-
    Sampled proportions (QA and survey metrics), shared by the quality and surveys families.
    `items` is a relation of one row per sampled item and metric with the columns metric_id,
    is_counted (a valid item for that metric), is_hit (it counts in the numerator) and is_random
    (drawn at random), plus the unit and day columns named in `levels` (a list of (unit_level,
    unit_id expression, day column) as unit_levels() gives). sampled_proportion_parts() groups
    them by unit, day and month (the month straight from the items, not summed from the days,
    because the sample chosen can differ between a day and its month) and keeps the random and
    the non-random parts apart; sampled_proportion_columns() then picks the sample:
    DECISIONLOG.md "Sampled Rows Use the Random Sample; Non-Random Only as a Marked Fallback".
-#}
{% macro sampled_proportion_parts(items, levels) -%}
    {%- set blocks = [] -%}
    {%- for level, unit, day in levels -%}
        {%- for grain in ['day', 'month'] -%}
            {%- do blocks.append((level, unit, day, grain)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {% for level, unit, day, grain in blocks %}
        select
            '{{ level }}' as unit_level,
            {{ unit }} as unit_id,
            '{{ grain }}' as period_grain,
            {% if grain == 'day' -%}
                {{ day }} as period_start,
            {%- else -%}
                cast(date_trunc('month', {{ day }}) as date) as period_start,
            {%- endif %}
            metric_id,
            count(*) filter (where is_counted and is_random) as random_items,
            count(*) filter (where is_counted and is_random and is_hit) as random_hits,
            count(*) filter (where is_counted and not is_random) as nonrandom_items,
            count(*) filter (where is_counted and not is_random and is_hit) as nonrandom_hits
        from {{ items }}
        where {{ unit }} is not null and {{ day }} is not null
        group by all
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{%- endmacro %}

{#- The family-contract columns of a sampled proportion from sampled_proportion_parts(). -#}
{% macro sampled_proportion_columns() -%}
    unit_level,
    unit_id,
    period_grain,
    period_start,
    metric_id,
    cast(
        case when random_items > 0 then random_hits else nonrandom_hits end as double
    ) as numerator,
    cast(
        case when random_items > 0 then random_items else nonrandom_items end as double
    ) as denominator,
    cast(
        case when random_items > 0 then random_items else nonrandom_items end as bigint
    ) as sample_size,
    case
        when random_items > 0 or nonrandom_items = 0 then 'random' else 'nonrandom'
    end as sample_selection
{%- endmacro %}
