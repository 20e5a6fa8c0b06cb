{#- Quality gates on the backtest, for all customers: the published CLV predictions must do at
    least as well as the best naive baseline on per-customer MAE (a baseline can be what is
    published), with total revenue within clv_max_aggregate_error. clv_model_metrics judges
    (validation_status); this test reports. A warning by default (clv_gate_severity):
    predictions are still published, each carrying its validation_status; CI and strict users
    set it to error. A build without an honest backtest (not_backtestable) has nothing to judge. -#}
{{ config(severity=clv_var('clv_gate_severity')) }}

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
        validation_note as failure,
        published_model,
        mae,
        best_baseline_mae,
        aggregate_revenue_error
    from published
    where validation_status = 'below_target'

    union all

    select
        'no published row in clv_model_metrics' as failure,
        null as published_model,
        null as mae,
        null as best_baseline_mae,
        null as aggregate_revenue_error
    from (select count(*) as published_rows from published) as counted
    where published_rows != 1

)

select * from failures
