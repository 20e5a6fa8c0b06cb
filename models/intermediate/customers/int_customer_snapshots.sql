{#- The backtest's points in time: each customer's RFM summary one and two backtest horizons
    before as_of_date, with what the customer did in the backtest horizon after it. One row per
    (snapshot_name, customer_id).

    - calibration: at as_of_date - backtest_horizon_days     (backtest: fit here, score the
                                                              holdout; XGBoost's training rows)
    - training:    at as_of_date - 2 * backtest_horizon_days (XGBoost's training rows in the backtest)

    backtest_horizon_days is horizon_days unless the history is too short (int_as_of_date);
    without an honest backtest (a null backtest_horizon_days) this table is empty. The summary
    at as_of_date itself is int_customers_rfm_scored, built by the same macro.

    Each snapshot holds a seeded sample of at most backtest_sample_size of its customers
    (sample_order): the backtest measures models on a sample, and what grows with the customer
    count past it (fits of the backtest's BG/NBD, scoring, metrics) stops growing. -#}

with

snapshots as (

    {{ customer_snapshots(
        {'calibration': 1, 'training': 2},
        order_days=ref('int_customer_order_days'),
        customers=ref('int_customers'),
        as_of=ref('int_as_of_date'),
        horizon='backtest_horizon_days',
        sample_size=clv_var('backtest_sample_size'),
    ) | indent(4) }}

)

select * from snapshots
