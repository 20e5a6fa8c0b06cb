{#- Helpers the CLV models share (models/ml/clv, models/marts/clv). -#}

{#- The per-customer features every CLV model may read, in every snapshot. -#}
{% macro clv_feature_columns() %}
    {{ return(['customer_id', 'frequency', 'recency_days', 't_days', 'days_since_last_order',
        'days_to_second_purchase', 'order_count', 'total_net_revenue', 'monetary_value', 'avg_order_value',
        'discount_share', 'first_purchase_value', 'returned_amount', 'return_share', 'revenue_last_horizon',
        'purchases_last_horizon', 'acquisition_channel', 'region']) }}
{% endmacro %}


{#- The CLV tier's sort order for BI tools (1 = High, 2 = Mid, 3 = Low), which sort the names
    alphabetically (High, Low, Mid). -#}
{% macro clv_tier_rank(tier_column) -%}
    case {{ tier_column }} when 'High' then 1 when 'Mid' then 2 when 'Low' then 3 end
{%- endmacro %}
