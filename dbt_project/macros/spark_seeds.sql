{#-
    Spark only: dbt-spark's seed loader binds each CSV value into its INSERT with the session
    method's string formatting, which writes an empty cell (None) as the text 'None'. The same
    INSERT with the values written as SQL literals, an empty cell as NULL as on DuckDB.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for value in row -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(agate_table.column_names[loop.index0], inferred_type) -%}
                    cast({{ spark_seed_literal(value) }} as {{ type }}){{ ', ' if not loop.last }}
                {%- endfor -%}
                ){{ ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ (value | string) | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{#-
    Spark only: dbt-spark's safe_cast, plus a list value (a unit test's expected list of strings,
    written in YAML as ['a', 'b']) as an array; dbt would write the Python list itself, which Spark
    cannot parse.
-#}
{% macro spark__safe_cast(field, type) -%}
    {%- if field is sequence and field is not string -%}
        cast(array({% for item in field %}{{ spark_seed_literal(item) }}{{ ', ' if not loop.last }}{% endfor %}) as {{ type }})
    {%- else -%}
        {%- set field_clean = field.strip('"').strip("'") if (cast_from_string_unsupported_for(type) and field is string) else field -%}
        cast({{ field_clean }} as {{ type }})
    {%- endif -%}
{%- endmacro %}
