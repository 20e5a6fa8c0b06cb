{#- The backtest's points in time: each customer's RFM summary one and two horizons before
    as_of_date, with what the customer did in the horizon after it. One row per
    (snapshot_name, customer_id).

    - calibration: at as_of_date - horizon_days     (backtest: fit here, score the holdout;
                                                      and XGBoost's training rows)
    - training:    at as_of_date - 2 * horizon_days (XGBoost's training rows in the backtest)

    The summary at as_of_date itself is customer_rfm, built by the same macro. -#}

{%- set horizon = clv_var('horizon_days') -%}

{{ customer_snapshots(
    {'calibration': horizon, 'training': 2 * horizon},
    order_days=ref('int_customer_order_days'),
    customers=ref('int_customers'),
    as_of=ref('int_as_of_date'),
) }}
