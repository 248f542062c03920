{#
    Use custom schemas verbatim (`staging`, `intermediate`, `mart`) instead of dbt's default
    `<target_schema>_<custom_schema>`: one warehouse file per environment, so no prefix is needed.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
