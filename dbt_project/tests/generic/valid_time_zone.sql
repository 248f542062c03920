{#
    Time zone names must be IANA names DuckDB knows, or local days and DST shifts are silently wrong.
    Nulls pass; pair with not_null where a zone is required.
#}
{% test valid_time_zone(model, column_name) %}

select {{ column_name }} as invalid_time_zone

from {{ model }}

where
    {{ column_name }} is not null
    and {{ column_name }} not in (select tz.name from pg_timezone_names() as tz)

{% endtest %}
