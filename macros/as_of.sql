{#- The as_of_date var as a date literal, or null when it is not set. -#}
{% macro as_of_date_var() %}
    {%- if var('as_of_date') -%}
        cast('{{ var("as_of_date") }}' as date)
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
