{% macro exact_sum(expression=none) -%}
    {#- A sum of fractional numbers (seconds from timestamps, hours, costs, forecasts) that does not
    depend on the order its rows arrive in: each value is taken to 15 decimal places and added as a
    DECIMAL, which is exact, then returned as a DOUBLE. A DOUBLE sum rounds after every addition, so
    the same rows loaded in another order (a night at a time rather than in bulk) or summed by other
    threads could differ in the last bits, and the mart would not be the same table twice
    (DECISIONLOG "Sums of Fractions Are Exact"). Counts are integers and are summed as they are.
    `exact_sum('x')`, or for a long expression `{% call exact_sum() %} case ... end {% endcall %}`. -#}
    cast(sum(cast({{ expression if expression is not none else caller() }} as decimal(38, 15))) as double)
{%- endmacro %}
