{#- Quality gates on the backtest: the published CLV model must beat the best naive baseline
    on per-customer MAE, and its total revenue must be within clv_max_aggregate_error. -#}

with

metrics as (

    select * from {{ ref('clv_model_metrics') }}

),

published as (

    select * from metrics
    where model_name = 'published' and customer_group = 'all'

),

failures as (

    select
        'worse than the best naive baseline on MAE' as failure,
        mae,
        best_baseline_mae,
        aggregate_revenue_error
    from published
    where not mae < best_baseline_mae

    union all

    select
        'aggregate revenue error beyond clv_max_aggregate_error' as failure,
        mae,
        best_baseline_mae,
        aggregate_revenue_error
    from published
    where abs(aggregate_revenue_error) > {{ var('clv_max_aggregate_error') }}

    union all

    select
        'no published model' as failure,
        null as mae,
        null as best_baseline_mae,
        null as aggregate_revenue_error
    from (select count(*) as published_rows from published) as counted
    where published_rows != 1

)

select * from failures
