{#- A 64-bit hash of a row's columns; sums of it fingerprint a set of rows on one engine. -#}
{% macro row_hash(columns) %}
    {{- return(adapter.dispatch('row_hash', 'clv')(columns)) -}}
{% endmacro %}

{% macro default__row_hash(columns) %}
    hash({{ columns | join(', ') }})
{%- endmacro %}
