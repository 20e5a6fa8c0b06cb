{#- The time-based backtest: every model fitted at the calibration date (as_of_date - backtest
    horizon; XGBoost trained one horizon earlier still) predicting the holdout that ends at
    as_of_date, naive baselines beside them. One row per customer x model; models that do not
    apply to a customer (Cox to repeat buyers) or were not fitted have no row. btyd_corrected
    is btyd x the ratio its refit one window earlier (the training snapshot) had. Empty without
    an honest backtest. -#}

{%- set purchase_models = clv_candidates_where('predicts_purchases') %}

with

clv_customer_scores as (

    select * from {{ ref('clv_customer_scores') }}

),

training as (

    select
        customer_group,
        actual_revenue,
        revenue_btyd as predicted_revenue

    from clv_customer_scores
    where snapshot_name = 'training'

),

ratios as (

    {{ bias_ratios('training') | indent(4) }}

),

ratio_count as (

    select count(*) as groups_with_ratio from ratios

),

calibration as (

    select
        clv_customer_scores.*,
        case
            when ratio_count.groups_with_ratio > 0
                then clv_customer_scores.revenue_btyd * coalesce(ratios.bias_ratio, 1.0)
        end as revenue_btyd_corrected,
        case
            when ratio_count.groups_with_ratio > 0
                then clv_customer_scores.purchases_btyd * coalesce(ratios.bias_ratio, 1.0)
        end as purchases_btyd_corrected,
        -- whole-number keys make the metrics' sorts cheap; ties are broken by customer_id
        row_number() over (order by clv_customer_scores.customer_id) as customer_order

    from clv_customer_scores
    left join ratios
        on clv_customer_scores.customer_group = ratios.customer_group
    cross join ratio_count
    where clv_customer_scores.snapshot_name = 'calibration'

),

unpivoted as (

    {%- for model in clv_candidates() %}
        select
            customer_id,
            customer_order,
            customer_group,
            {{ loop.index }} as model_id,
            '{{ model }}' as model_name,
            revenue_{{ model }} as predicted_revenue,
            {{ 'purchases_' ~ model if model in purchase_models else 'cast(null as double)' }}
                as predicted_purchases,
            actual_revenue,
            actual_purchases

        from calibration
        where revenue_{{ model }} is not null
        {%- if not loop.last %}

            union all
        {% endif %}
    {%- endfor %}

)

select * from unpivoted
