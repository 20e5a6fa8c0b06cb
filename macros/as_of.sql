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


{#- Sum of a money expression, exact: each value to 6 decimals, added as a decimal. Float sums
    depend on the order rows are added in (parallel aggregation), so the same data could give
    totals differing in the last bits, and an order of +10.1 and -10.1 could net above 0. -#}
{% macro sum_money(expression) %}
    cast(sum(cast({{ expression }} as decimal(38, 6))) as double)
{%- endmacro %}
