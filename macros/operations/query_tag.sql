{#- Snowflake: every model's queries carry a query tag naming the project, the model and the dbt
    invocation, so QUERY_HISTORY and warehouse costs can be broken down per model and per run.
    A model's own `query_tag` config wins. dbt-snowflake calls these around each
    materialization; the profile's query_tag (if any) is put back after it. -#}
{% macro snowflake__set_query_tag() -%}
    {%- set tag = config.get('query_tag') or tojson({
        'app': 'clv', 'model': model.name, 'invocation_id': invocation_id, 'target': target.name}) -%}
    {% do run_query("alter session set query_tag = " ~ sql_literal(tag)) %}
    {{ return(target.get('query_tag')) }}
{%- endmacro %}


{% macro snowflake__unset_query_tag(original_query_tag) -%}
    {%- if original_query_tag -%}
        {% do run_query("alter session set query_tag = " ~ sql_literal(original_query_tag)) %}
    {%- else -%}
        {% do run_query("alter session unset query_tag") %}
    {%- endif -%}
{%- endmacro %}
