{#- Rows whose value is null, NaN or infinite. -#}
{% test finite(model, column_name) %}
select *
from {{ model }}
where not {{ is_finite(column_name) }}
{% endtest %}
