{#- One CLV prediction per customer of customer_rfm over the next horizon_days, published from
    the ML layer's tables with the seeds joined here, in the lineage:

    - predicted_revenue and its interval: clv_revenue_predictions (the model chosen for the
      customer's group);
    - predicted_clv: discounted at the annual discount_rate, revenue spread evenly over the
      horizon: (1 - (1 + rate)^-years) / (years ln(1 + rate));
    - [clv_lower, clv_upper]: the revenue interval, discounted alike;
    - clv_tier: top clv_tier_high_share High, bottom clv_tier_low_share Low (average ranks);
    - the clv_action from clv_actions, the RFM segment from customer_rfm, and the
      backtest evidence of the group's published model.
    Customers without a purchase (customer_rfm.has_purchase false: zero-value, refunded or
    credit-only orders) are valued at 0 in customer_group 'no_purchase', tier Low, with no
    model (validation_status not_modelled), so every customer of dim_customers has a row; the
    tiers' shares are among the customers with a purchase. -#}

{%- set horizon = clv_var('horizon_days') %}
{%- set rate = clv_var('discount_rate') %}
{%- set high_share = clv_var('clv_tier_high_share') %}
{%- set low_share = clv_var('clv_tier_low_share') %}

with

clv_revenue_predictions as (

    select * from {{ ref('clv_revenue_predictions') }}

),

clv_model_metrics as (

    select * from {{ ref('clv_model_metrics') }}

),

clv_model_fits as (

    select * from {{ ref('clv_model_fits') }}

),

customer_rfm as (

    select * from {{ ref('customer_rfm') }}

),

clv_actions as (

    select * from {{ ref('clv_actions') }}

),

fits as (

    select max(model_version) as model_version from clv_model_fits
    where snapshot_name = 'scoring'

),

evidence as (

    select * from clv_model_metrics
    where model_name = 'published' and customer_group != 'all'

),

discounted as (

    select
        *,
        {%- if rate > 0 %}
            {#- in double on every engine: Snowflake would divide decimals to 6 places -#}
            {%- set years = horizon / 365.0 %}
            (1 - power(cast(1 + {{ rate }} as double), -{{ years }}))
            / ({{ years }} * ln(cast(1 + {{ rate }} as double)))
        {%- else %}
        1.0
        {%- endif %} as discount_factor

    from clv_revenue_predictions

),

valued as (

    select
        *,
        predicted_revenue * discount_factor as predicted_clv,
        greatest(least(revenue_lower, predicted_revenue), 0) * discount_factor as clv_lower,
        greatest(revenue_upper, predicted_revenue) * discount_factor as clv_upper

    from discounted

),

tiered as (

    select
        *,
        cast({{ average_rank('predicted_clv', 'snapshot_name') }} as double)
        / count(*) over () as clv_percentile

    from valued

),

tiers as (

    select
        *,
        case
            when clv_percentile > {{ 1 - high_share }} then 'High'
            when clv_percentile <= {{ low_share }} then 'Low'
            else 'Mid'
        end as clv_tier

    from tiered

),

-- Customers without a purchase: nothing to model, valued at 0.
not_purchasing as (

    select
        customer_id,
        'no_purchase' as customer_group,
        cast(null as double) as p_alive,
        0.0 as expected_purchases,
        0.0 as expected_avg_order_value,
        cast(null as double) as p_return_within_horizon,
        0.0 as predicted_revenue,
        0.0 as predicted_clv,
        0.0 as clv_lower,
        0.0 as clv_upper,
        'Low' as clv_tier,
        'none' as model_name

    from customer_rfm
    where not has_purchase

),

customers as (

    {%- set columns = ['customer_id', 'customer_group', 'p_alive', 'expected_purchases',
        'expected_avg_order_value', 'p_return_within_horizon', 'predicted_revenue', 'predicted_clv', 'clv_lower',
        'clv_upper', 'clv_tier', 'model_name'] %}
    select {{ columns | join(', ') }} from tiers
    union all
    select {{ columns | join(', ') }} from not_purchasing

),

final as (

    select
        tiers.customer_id,
        tiers.customer_group,
        tiers.p_alive,
        tiers.expected_purchases,
        tiers.expected_avg_order_value,
        tiers.p_return_within_horizon,
        tiers.predicted_revenue,
        tiers.predicted_clv,
        tiers.clv_lower,
        tiers.clv_upper,
        tiers.clv_tier,
        {{ clv_tier_rank('tiers.clv_tier') }} as clv_tier_rank,
        customer_rfm.rfm_segment,
        customer_rfm.rfm_value_level != tiers.clv_tier as segment_mismatch,
        clv_actions.clv_action,
        coalesce(evidence.validation_status, 'not_modelled') as validation_status,
        coalesce(
            evidence.validation_note,
            'No purchase yet (zero-value, refunded or credit-only orders): valued at 0, no model'
        ) as validation_note,
        evidence.mae as backtest_mae,
        evidence.aggregate_revenue_error as backtest_aggregate_error,
        evidence.normalized_gini as backtest_gini,
        evidence.best_baseline_mae,
        tiers.model_name,
        fits.model_version,
        customer_rfm.as_of_date,
        {{ dbt.cast(horizon, dbt.type_int()) }} as horizon_days

    from customers as tiers
    inner join customer_rfm
        on tiers.customer_id = customer_rfm.customer_id
    left join evidence
        on tiers.customer_group = evidence.customer_group
    left join clv_actions
        on
            tiers.customer_group = clv_actions.customer_group
            and tiers.clv_tier = clv_actions.clv_tier
    cross join fits

)

select * from final
