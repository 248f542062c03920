{#-
    Spark only (on-run-start): the dbt sources as tables over the Parquet files `cxmart export-raw`
    wrote, one folder per table under CXMART_SPARK_SOURCES (`<schema>/<table>/`), so that
    `source()` reads the same rows on Spark as on DuckDB. The catalog is Spark's in-memory one:
    each build registers them again. Renders nothing on DuckDB, where the sources are the
    warehouse's own tables.
-#}
{% macro register_spark_sources() -%}
    {%- if execute and target.type == 'spark' -%}
        {%- set root = env_var('CXMART_SPARK_SOURCES', env_var('CXMART_WAREHOUSE') ~ '.spark/sources') -%}
        {%- set schemas = [] -%}
        {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- if node.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ node.schema) -%}
                {%- do schemas.append(node.schema) -%}
            {%- endif -%}
            {%- set relation = node.schema ~ '.' ~ node.identifier -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query(
                'create table ' ~ relation ~ " using parquet location '"
                ~ root ~ '/' ~ node.schema ~ '/' ~ node.identifier ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
