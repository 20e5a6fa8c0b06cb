{#- Every model's prediction per (snapshot_name, customer_id), in SQL from the fitted
    parameters (clv_fit_parameters), BG/NBD's hypergeometric term per (frequency, t_days)
    (clv_bgnbd_terms) and what Python scored in batches (clv_model_scores: Cox's P(return),
    XGBoost's and the cold-start model's revenue). Same arithmetic as python_utils.reference.clv.score_models (the integration tests
    hold them equal to 1e-6):

    - expected purchases = that term / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha +
      t_x))^(r + x)); without a BG/NBD fit, (x + 1) x horizon / max(T, horizon);

    - p_alive = 1 / (1 + exp((r + x) ln((alpha + T) / (alpha + t_x)) + ln(a / (b + x - 1))))
      for repeat buyers, 1 for one-time buyers or without a BG/NBD fit;
    - Gamma-Gamma spend = (1 - w) p v / (q - 1) + w m with w = p x / (p x + q - 1) (the shop's
      mean spend per purchase day without a fit); btyd_first_spend counts the first purchase too;
    - revenue is net: purchase models keep 1 - the customer's return rate, shrunk toward the
      population's with the weight of one median purchase;
    - seasonal models scale by the window's calendar factor; XGBoost's by that over the factor
      of the window it learned from; blends average two models;
    - baselines: last horizon's revenue, and the historical spend rate x horizon.

    btyd_corrected needs a ratio learned elsewhere: clv_backtest and clv_predictions apply it. -#}

{#- btyd_corrected's purchases: btyd's x a ratio learned elsewhere (clv_backtest, clv_revenue_predictions) -#}
{%- set purchase_models = clv_candidates_where('predicts_purchases') | reject('equalto', 'btyd_corrected')
    | list %}
{%- set own_spend_min_frequency = clv_var('clv_own_spend_min_frequency') %}

with

clv_snapshots as (

    select * from {{ ref('clv_snapshots') }}

),

clv_model_scores as (

    select * from {{ ref('clv_model_scores') }}

),

clv_bgnbd_terms as (

    select * from {{ ref('clv_bgnbd_terms') }}

),

parameters as (

    select * from {{ ref('clv_fit_parameters') }}

),

clv_snapshot_summary as (

    select * from {{ ref('clv_snapshot_summary') }}

),

features as (

    select
        clv_snapshots.*,
        clv_bgnbd_terms.purchases_numerator,
        clv_model_scores.p_return_within_horizon,
        clv_model_scores.revenue_xgboost,
        clv_model_scores.revenue_cold_start,
        parameters.bgnbd_r,
        parameters.bgnbd_alpha,
        parameters.bgnbd_a,
        parameters.bgnbd_b,
        parameters.gamma_gamma_p,
        parameters.gamma_gamma_q,
        parameters.gamma_gamma_v,
        parameters.window_factor,
        parameters.xgboost_factor,
        parameters.purchases_given_return,
        clv_snapshot_summary.mean_spend,
        -- Gamma-Gamma's prior mean: the spend of a customer without repeat spend
        coalesce(
            parameters.gamma_gamma_p * parameters.gamma_gamma_v / (parameters.gamma_gamma_q - 1),
            clv_snapshot_summary.mean_spend
        ) as prior_spend,
        greatest(coalesce(clv_snapshots.returned_amount, 0), 0) as returned_spend,
        greatest(clv_snapshots.total_net_revenue + greatest(coalesce(clv_snapshots.returned_amount, 0), 0), 0)
            as purchase_spend,
        clv_snapshot_summary.population_return_rate,
        clv_snapshot_summary.return_rate_weight,
        -- the horizon as a share of the time watched (customers younger than it: 1)
        cast(clv_snapshots.horizon_days as double)
        / greatest(clv_snapshots.t_days, clv_snapshots.horizon_days) as horizon_share

    from clv_snapshots
    left join clv_model_scores
        on
            clv_snapshots.snapshot_name = clv_model_scores.snapshot_name
            and clv_snapshots.customer_id = clv_model_scores.customer_id
    left join clv_bgnbd_terms
        on
            clv_snapshots.snapshot_name = clv_bgnbd_terms.snapshot_name
            and clv_snapshots.frequency = clv_bgnbd_terms.frequency
            and clv_snapshots.t_days = clv_bgnbd_terms.t_days
    inner join parameters
        on clv_snapshots.snapshot_name = parameters.snapshot_name
    inner join clv_snapshot_summary
        on clv_snapshots.snapshot_name = clv_snapshot_summary.snapshot_name

),

purchases as (

    select
        *,
        case
            when bgnbd_r is null then (frequency + 1) * horizon_share
            else greatest(coalesce(
                purchases_numerator / (
                    1 + case
                        when frequency > 0
                            then
                                bgnbd_a / (bgnbd_b + frequency - 1)
                                * power(
                                    (bgnbd_alpha + t_days) / (bgnbd_alpha + recency_days), bgnbd_r + frequency
                                )
                        else 0
                    end
                ),
                0
            ), 0)
        end as expected_purchases,
        -- Gamma-Gamma's posterior with the first purchase day counted too (python_utils/reference/spend.py)
        case when monetary_value > 0 then frequency else 0 end
        + case when first_purchase_value > 0 then 1 else 0 end as spend_days_observed,
        case when monetary_value > 0 then frequency * monetary_value else 0 end
        + case when first_purchase_value > 0 then first_purchase_value else 0 end as spend_observed

    from features

),

btyd as (

    select
        *,
        {{ customer_group_of('frequency', 't_days') }} as customer_group,
        case
            when frequency = 0 or bgnbd_r is null then 1.0
            else 1.0 / (1.0 + exp(least(
                (bgnbd_r + frequency) * ln((bgnbd_alpha + t_days) / (bgnbd_alpha + recency_days))
                + ln(bgnbd_a / (bgnbd_b + frequency - 1)),
                700
            )))
        end as p_alive,
        case
            when gamma_gamma_p is null then mean_spend
            when frequency > 0 and monetary_value > 0
                then
                    (1 - gamma_gamma_p * frequency / (gamma_gamma_p * frequency + gamma_gamma_q - 1))
                    * prior_spend
                    + gamma_gamma_p
                    * frequency
                    / (gamma_gamma_p * frequency + gamma_gamma_q - 1)
                    * monetary_value
            else prior_spend
        end as expected_avg_order_value,
        -- its credibility weight of the observed spend: p n / (p n + q - 1)
        gamma_gamma_p * spend_days_observed / (gamma_gamma_p * spend_days_observed + gamma_gamma_q - 1)
            as first_spend_weight,
        1 - least(greatest(
            (returned_spend + return_rate_weight * population_return_rate)
            / (purchase_spend + return_rate_weight),
            0
        ), 1) as kept_share

    from purchases

),

models as (

    select
        *,
        expected_purchases * expected_avg_order_value * kept_share as revenue_btyd,
        expected_purchases as purchases_btyd,
        expected_purchases * expected_avg_order_value * kept_share * window_factor as revenue_btyd_seasonal,
        expected_purchases * window_factor as purchases_btyd_seasonal,
        expected_purchases
        -- own mean spend from clv_own_spend_min_frequency repeat purchase days on
        * case
            when frequency >= {{ own_spend_min_frequency }} and monetary_value > 0 then monetary_value
            else expected_avg_order_value
        end
        * kept_share as revenue_btyd_own_spend,
        expected_purchases as purchases_btyd_own_spend,
        expected_purchases
        * case
            when gamma_gamma_p is null then expected_avg_order_value
            when spend_days_observed = 0 then prior_spend
            else
                (1 - first_spend_weight) * prior_spend
                + first_spend_weight * spend_observed / spend_days_observed
        end
        * kept_share as revenue_btyd_first_spend,
        expected_purchases as purchases_btyd_first_spend,
        -- Cox models one-time buyers; a new customer is valued by the models of its own group
        case
            when customer_group = 'one_time'
                then p_return_within_horizon * purchases_given_return * prior_spend * kept_share
        end as revenue_cox,
        case
            when customer_group = 'one_time' then p_return_within_horizon * purchases_given_return
        end as purchases_cox,
        revenue_xgboost * xgboost_factor as revenue_xgboost_seasonal,
        greatest(revenue_last_horizon, 0) as revenue_baseline_last_period,
        cast(purchases_last_horizon as double) as purchases_baseline_last_period,
        greatest(total_net_revenue, 0) * horizon_share as revenue_baseline_spend_rate,
        (frequency + 1) * horizon_share as purchases_baseline_spend_rate

    from btyd

),

final as (

    select
        snapshot_name,
        customer_id,
        customer_group,
        p_alive,
        expected_purchases,
        expected_avg_order_value,
        p_return_within_horizon,
        kept_share,
        {%- for model in purchase_models %}
            revenue_{{ model }},
            purchases_{{ model }},
        {%- endfor %}
        revenue_xgboost,
        case when customer_group = 'new' then revenue_cold_start end as revenue_cold_start,
        (revenue_btyd + revenue_xgboost) / 2 as revenue_blend_btyd_xgboost,
        (revenue_cox + revenue_xgboost) / 2 as revenue_blend_cox_xgboost,
        revenue_xgboost_seasonal,
        (revenue_btyd_seasonal + revenue_xgboost_seasonal) / 2 as revenue_blend_seasonal,
        target_revenue as actual_revenue,
        target_purchases as actual_purchases

    from models

)

select * from final
