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
    {{- return(timestamp_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S'))) -}}
{% endmacro %}


{#- A UTC timestamp literal from text 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' (quoted, never SQL). -#}
{% macro timestamp_literal(text) %}
    {{- return('cast(' ~ sql_literal(text) ~ ' as ' ~ utc_timestamp_type() ~ ')') -}}
{% endmacro %}


{#- The type of a UTC wall-clock timestamp, the type every timestamp here has (to_utc_timestamp).
    Snowflake's plain TIMESTAMP follows the account's TIMESTAMP_TYPE_MAPPING (it may be LTZ or
    TZ, read in the session's time zone), so the type is named there. -#}
{% macro utc_timestamp_type() %}
    {{- return(adapter.dispatch('utc_timestamp_type', 'clv')()) -}}
{% endmacro %}

{% macro default__utc_timestamp_type() %}{{ return(dbt.type_timestamp()) }}{% endmacro %}

{% macro snowflake__utc_timestamp_type() %}{{ return('timestamp_ntz') }}{% endmacro %}


{#- Sum of a money expression, exact: each value to 6 decimals, added as a decimal. Float sums
    depend on the order rows are added in (parallel aggregation), so the same data could give
    totals differing in the last bits, and an order of +10.1 and -10.1 could net above 0.
    Each value fits 12 integer digits (decimal(18, 6): one machine word, so the sum is a third
    faster than at 38 digits; the sum itself is 38 digits wide on both engines). Values are
    line, order and day amounts, lines at most max_line_amount (1e9 at most); a value past
    1e12 stops the build with a conversion error, never a wrong sum. -#}
{% macro sum_money(expression) %}
    cast(sum(cast({{ expression }} as decimal(18, 6))) as double)
{%- endmacro %}


{#- The backtest window int_as_of_date (the relation as_of) decided, read when the SQL is
    compiled: {horizon_days, backtest_window, is_backtestable}. -#}
{% macro backtest_window(as_of) %}
    {%- set default = {'horizon_days': clv_var('horizon_days'), 'backtest_window': 'full', 'is_backtestable': true} -%}
    {#- Parsing, a unit test (its inputs are CTEs), or compiling before any build (linting):
        the full horizon. -#}
    {%- if not execute or '__dbt__cte__' in (as_of | string) or load_relation(as_of) is none -%}
        {{ return(default) }}
    {%- endif -%}
    {%- set row = run_query("select backtest_horizon_days, backtest_window from " ~ as_of).rows -%}
    {%- if not row or row[0][1] is none -%}
        {{ return(default) }}
    {%- endif -%}
    {%- set days = row[0][0] -%}
    {{ return({'horizon_days': (days | int) if days is not none else clv_var('horizon_days'),
        'backtest_window': row[0][1], 'is_backtestable': days is not none}) }}
{% endmacro %}
