{#- btyd_corrected's ratio per customer group: actual / predicted revenue of btyd one window
    earlier, clipped to [0.5, 2] (a correction outside that says more about noise than bias);
    groups without predicted revenue get none (python_utils.reference.clv.bias_ratios). `rows` is a
    relation or CTE with customer_group, actual_revenue and predicted_revenue. -#}
{% macro bias_ratios(rows) %}
    select
        customer_group,
        least(greatest(sum(actual_revenue) / sum(predicted_revenue), 0.5), 2.0) as bias_ratio
    from {{ rows }}
    where actual_revenue is not null and predicted_revenue is not null
    group by 1
    having sum(predicted_revenue) > 0
{% endmacro %}
