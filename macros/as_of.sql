{#- The as_of_date var as a date literal, or null when it is not set. -#}
{% macro as_of_date_var() %}
    {%- if clv_var('as_of_date') -%}
        cast({{ sql_literal(clv_var('as_of_date')) }} as date)
    {%- else -%}
        cast(null as date)
    {%- endif -%}
{% endmacro %}


{#- A date expression shifted by a number of days, kept a date on every adapter. -#}
{% macro add_days(date_expression, days) %}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{% endmacro %}


{#- Whole days from one date expression to another, as an integer on every adapter. -#}
{% macro days_between(start_date, end_date) %}
    {{- dbt.cast(dbt.datediff(start_date, end_date, 'day'), dbt.type_int()) -}}
{% endmacro %}


{#- The moment this dbt invocation started, UTC, as a timestamp literal: "in the future" is
    judged against one fixed instant per run, whatever the session's time zone. -#}
{% macro run_started_at_utc() %}
    cast({{ sql_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}
