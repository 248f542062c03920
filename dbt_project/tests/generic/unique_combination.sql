{#
    Composite primary keys: fails with one row per key value that occurs more than once.
    Written here because `dbt deps` cannot reach the package hub (no dbt_utils).
#}
{% test unique_combination(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(',\n    ') }},
    count(*) as n_rows

from {{ model }}

group by {{ combination_of_columns | join(', ') }}

having count(*) > 1

{% endtest %}
