{#- Local DuckDB: plain schema names (staging, marts, ml...) so BI tools find `marts.fct_sales`.
    Warehouses: dbt's default <target schema>_<custom schema>, so developers do not collide. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.type == 'duckdb' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
