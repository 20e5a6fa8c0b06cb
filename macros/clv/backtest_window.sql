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
