{#- Helpers the CLV models share (models/ml/clv, models/marts/clv). -#}

{#- The per-customer features every CLV model may read, in every snapshot. -#}
{% macro clv_feature_columns() %}
    {{ return(['customer_id', 'frequency', 'recency_days', 't_days', 'days_since_last_order',
        'days_to_second_purchase', 'order_count', 'total_net_revenue', 'monetary_value', 'avg_order_value',
        'discount_share', 'first_purchase_value', 'returned_amount', 'return_share', 'revenue_last_horizon',
        'purchases_last_horizon', 'acquisition_channel', 'region']) }}
{% endmacro %}


{#- The CLV model catalogue (the clv_candidates var of dbt_project.yml): {model_name: {groups,
    predicts_purchases, is_baseline, is_default, label}}. The tests' oracle and the report read
    the same var (python_utils.reference.catalogue). -#}
{% macro clv_catalogue() %}
    {{ return(clv_var('clv_candidates')) }}
{% endmacro %}


{#- The candidates with the customer groups each may be chosen for: {model_name: [groups]}. -#}
{% macro clv_candidates() %}
    {%- set candidates = {} -%}
    {%- for model, entry in clv_catalogue().items() -%}
        {%- do candidates.update({model: entry.groups | list}) -%}
    {%- endfor -%}
    {{ return(candidates) }}
{% endmacro %}


{#- The candidate chosen where there is no backtest to choose by. -#}
{% macro clv_default_model() %}
    {%- for model, entry in clv_catalogue().items() if entry.get('is_default') -%}
        {{ return(model) }}
    {%- endfor -%}
{% endmacro %}


{#- The candidates of the catalogue with a flag set (predicts_purchases, is_baseline). -#}
{% macro clv_candidates_where(flag) %}
    {{ return(clv_catalogue().items() | selectattr('1.' ~ flag) | map(attribute='0') | list) }}
{% endmacro %}


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


{#- The CLV tier's sort order for BI tools (1 = High, 2 = Mid, 3 = Low), which sort the names
    alphabetically (High, Low, Mid). -#}
{% macro clv_tier_rank(tier_column) -%}
    case {{ tier_column }} when 'High' then 1 when 'Mid' then 2 when 'Low' then 3 end
{%- endmacro %}
