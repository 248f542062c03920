{#-
    The long-form period rows of a metric family: each day row of `relation` (unit_level,
    unit_id, period_start, metric_id and the `measures`) as it is, plus its month, summed from the
    days. Used where a month is the sum of its days; snapshots and annualised figures compute
    their months themselves. `day_where` keeps some metrics out of the day rows (they still sum
    into the month).
-#}
{% macro day_and_month_rows(relation, measures=['numerator', 'denominator'], day_where='true') -%}
    select
        unit_level,
        unit_id,
        'day' as period_grain,
        period_start,
        metric_id,
        {%- for m in measures %}
            cast({{ m }} as double) as {{ m }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    where {{ day_where }}

    union all

    select
        unit_level,
        unit_id,
        'month' as period_grain,
        cast(date_trunc('month', period_start) as date) as period_start,
        metric_id,
        {%- for m in measures %}
            {{ exact_sum(m) }} as {{ m }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    group by unit_level, unit_id, date_trunc('month', period_start), metric_id
{%- endmacro %}
