{#- The organisation's reporting time zone (CXMART_ORG_TIME_ZONE, default UTC), as a SQL literal. -#}
{% macro org_time_zone() -%}
    '{{ env_var("CXMART_ORG_TIME_ZONE", "UTC") }}'
{%- endmacro %}
