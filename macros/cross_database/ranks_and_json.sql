{#- A number stored under a key of a JSON object held as text (clv_model_fits.parameters_json);
    null when absent. -#}
{% macro json_number(column, key) %}
    {{ return(adapter.dispatch('json_number', 'clv')(column, key)) }}
{% endmacro %}

{% macro default__json_number(column, key) -%}
    cast(json_extract_string({{ column }}, '$.{{ key }}') as double)
{%- endmacro %}

{% macro snowflake__json_number(column, key) -%}
    cast(parse_json({{ column }}):"{{ key }}" as double)
{%- endmacro %}


{#- How many rows of the partition share the row's value of `order_by` (its ties). -#}
{% macro tie_count(partition_by, order_by) %}
    {{ return(adapter.dispatch('tie_count', 'clv')(partition_by, order_by)) }}
{% endmacro %}

{% macro default__tie_count(partition_by, order_by) -%}
    count(*) over (partition by {{ partition_by ~ ', ' if partition_by }}{{ order_by }})
{%- endmacro %}

{#- DuckDB: the peers frame of the same sort as rank(), without partitioning again. -#}
{% macro duckdb__tie_count(partition_by, order_by) -%}
    count(*) over (
        {{ 'partition by ' ~ partition_by if partition_by }} order by {{ order_by }}
        range between current row and current row
    )
{%- endmacro %}


{#- Average ranks (ties share the mean of their positions, as scipy's rankdata) of an
    expression within a partition. -#}
{% macro average_rank(expression, partition_by) -%}
    (
        rank() over (partition by {{ partition_by }} order by {{ expression }})
        + ({{ tie_count(partition_by, expression) }} - 1) / 2.0
    )
{%- endmacro %}


{#- percent_rank() of each distinct value of a column: (rows ranked before it) / (rows - 1), 0
    for a single row, tied rows sharing the value's rank, as percent_rank() over (order by column)
    gives. From counts per value, so only the distinct values are sorted, not every row
    (benchmarks/README.md, design choices). Nulls are not ranked. -#}
{% macro value_percent_ranks(relation, column, descending=false) -%}
select
    {{ column }},
    case
        when total_rows > 1 then {{ dbt.cast('rows_before', 'double') }} / (total_rows - 1)
        else 0
    end as percent_rank
from (
    select
        {{ column }},
        sum(count(*)) over (
            order by {{ column }}{{ ' desc' if descending }}
            rows between unbounded preceding and current row
        ) - count(*) as rows_before,
        sum(count(*)) over () as total_rows
    from {{ relation }}
    where {{ column }} is not null
    group by 1
) as value_counts
{%- endmacro %}
