{#- Helpers the CLV models share (models/ml/clv, models/marts/clv). -#}

{#- The per-customer features every CLV model may read, in every snapshot. -#}
{% macro clv_feature_columns() %}
    {{ return(['customer_id', 'frequency', 'recency_days', 't_days', 'days_since_last_order',
        'days_to_second_purchase', 'order_count', 'total_net_revenue', 'monetary_value', 'avg_order_value',
        'discount_share', 'first_purchase_value', 'returned_amount', 'return_share', 'revenue_last_horizon',
        'purchases_last_horizon', 'acquisition_channel', 'region']) }}
{% endmacro %}


{#- The candidate models of the backtest, with the customer group each may be published for
    (python_utils.clv.CANDIDATES says the same; a pytest keeps the two equal). -#}
{% macro clv_candidates() %}
    {{ return({
        'btyd': ['repeat', 'one_time'],
        'btyd_own_spend': ['repeat'],
        'btyd_corrected': ['repeat', 'one_time'],
        'cox': ['one_time'],
        'xgboost': ['repeat', 'one_time'],
        'blend_btyd_xgboost': ['repeat', 'one_time'],
        'blend_cox_xgboost': ['one_time'],
        'btyd_seasonal': ['repeat', 'one_time'],
        'xgboost_seasonal': ['repeat', 'one_time'],
        'blend_seasonal': ['repeat', 'one_time'],
        'baseline_last_period': ['repeat', 'one_time'],
        'baseline_spend_rate': ['repeat', 'one_time'],
    }) }}
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
