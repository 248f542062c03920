{#
    Time zone names must be IANA names the engine knows (DuckDB's ICU list; on Spark, Java's
    ZoneId), or local days and DST shifts are silently wrong. Nulls pass; pair with not_null where a
    zone is required.
#}
{% test valid_time_zone(model, column_name) %}

select {{ column_name }} as invalid_time_zone

from {{ model }}

where
    {{ column_name }} is not null
    and not {{ is_known_time_zone(column_name) }}

{% endtest %}
