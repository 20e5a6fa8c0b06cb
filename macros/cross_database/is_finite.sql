{#- True when a floating-point expression is a real number (not null, NaN or infinite).
    Python models write NaN, which a not_null test does not catch. -#}
{% macro is_finite(expression) %}
    {{- return(adapter.dispatch('is_finite', 'clv')(expression)) -}}
{% endmacro %}

{% macro default__is_finite(expression) %}
    ({{ expression }} is not null and {{ expression }} = {{ expression }}
     and {{ expression }} < cast('Infinity' as double) and {{ expression }} > cast('-Infinity' as double))
{%- endmacro %}

{% macro duckdb__is_finite(expression) %}
    ({{ expression }} is not null and isfinite({{ expression }}))
{%- endmacro %}

{% macro snowflake__is_finite(expression) %}
    ({{ expression }} is not null
     and {{ expression }} not in ('NaN'::float, 'inf'::float, '-inf'::float))
{%- endmacro %}
