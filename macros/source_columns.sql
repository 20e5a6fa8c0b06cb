{#- Column names (lowercase) that a relation actually has, read at run time.
    Lets staging accept raw orders where optional columns are missing. -#}
{% macro source_columns(relation) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set probe = run_query("select * from " ~ relation ~ " where 1 = 0") -%}
    {{ return(probe.column_names | map("lower") | list) }}
{% endmacro %}


{#- The column as text when the source has it, else a typed null. -#}
{% macro text_column_or_null(column_name, available_columns) %}
    {%- if column_name in available_columns -%}
        nullif(trim(cast({{ column_name }} as {{ dbt.type_string() }})), '')
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{% endmacro %}


{#- Parse text into a type; unparsable values become null instead of failing the build.
    The input is text because Snowflake's try_cast only accepts text. -#}
{% macro parse_text(text_expression, data_type) %}
    {{- return(adapter.dispatch('parse_text', 'clv')(text_expression, data_type)) -}}
{% endmacro %}

{% macro default__parse_text(text_expression, data_type) %}
    {{- dbt.safe_cast(text_expression, data_type) -}}
{% endmacro %}

{#- dbt-duckdb does not override dbt.safe_cast, whose default is a plain (failing) cast. -#}
{% macro duckdb__parse_text(text_expression, data_type) %}
    try_cast({{ text_expression }} as {{ data_type }})
{%- endmacro %}
