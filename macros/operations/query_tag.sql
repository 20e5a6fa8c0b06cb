{#- Snowflake: every model's queries carry a query tag naming the project, the model and the dbt
    invocation, so QUERY_HISTORY and warehouse costs can be broken down per model and per run.
    A model's own `query_tag` config wins. dbt-snowflake calls these around each
    materialization; the profile's query_tag (if any) is put back after it. Every model's
    connection is pinned first (pinned_session_sql), dbt's threads each having their own. -#}
{% macro snowflake__set_query_tag() -%}
    {% do run_query(pinned_session_sql()) %}
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


{#- Session parameters results must not depend on, set on every connection that builds: plain
    `timestamp` (the contracts' type) is TIMESTAMP_NTZ whatever the account's
    TIMESTAMP_TYPE_MAPPING says, UTC, ISO date and time input whatever formats the account set
    (text timestamps are parsed with explicit formats anyway: parse_text), and ISO output, so a
    typed raw column (TIMESTAMP_*, DATE) read as text is in the formats parse_text reads, to the
    nanosecond, its offset against the time. -#}
{% macro pinned_session_sql() %}
    {%- set instant = 'YYYY-MM-DD HH24:MI:SS.FF9TZH:TZM' -%}
    {{- return("alter session set timestamp_type_mapping = 'TIMESTAMP_NTZ' timezone = 'UTC'"
        ~ " date_input_format = 'AUTO' timestamp_input_format = 'AUTO'"
        ~ " date_output_format = 'YYYY-MM-DD' timestamp_ntz_output_format = 'YYYY-MM-DD HH24:MI:SS.FF9'"
        ~ " timestamp_ltz_output_format = '" ~ instant ~ "' timestamp_tz_output_format = '" ~ instant ~ "'"
        ~ " timestamp_output_format = '" ~ instant ~ "'") -}}
{% endmacro %}


{#- The same pins for on-run-start's connection (no-op elsewhere). -#}
{% macro pin_session() %}
    {{- return(adapter.dispatch('pin_session', 'clv')()) -}}
{% endmacro %}

{% macro default__pin_session() %}select 1{% endmacro %}

{% macro snowflake__pin_session() %}{{ pinned_session_sql() }}{% endmacro %}
