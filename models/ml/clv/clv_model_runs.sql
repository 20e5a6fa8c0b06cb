{#- History of CLV runs: each build appends one row per fitted model with its parameters, fit
    seconds, library versions and the published backtest metrics, so a scheduled run leaves a
    record. Incremental (append): rows of earlier runs stay. Not transient on Snowflake: the only
    record of past runs keeps Fail-safe. -#}
{{ config(materialized='incremental', incremental_strategy='append', transient=false) }}

with

fits as (

    select * from {{ ref('clv_model_fits') }}
    where snapshot_name = 'scoring'

),

metrics as (

    select * from {{ ref('clv_model_metrics') }}

),

published as (

    select * from metrics
    where model_name = 'published' and customer_group = 'all'

),

runs as (

    select
        '{{ invocation_id }}' as run_id,
        {{ run_started_at_utc() }} as run_at,
        fits.model_name,
        fits.model_version,
        fits.as_of_date,
        published.horizon_days,
        fits.parameters_json,
        fits.rows_used,
        fits.fit_seconds,
        fits.converged,
        fits.penalizer,
        fits.note,
        fits.library_versions,
        published.published_model,
        published.mae as published_mae,
        published.normalized_gini as published_gini,
        published.aggregate_revenue_error as published_aggregate_error,
        published.best_baseline_mae,
        published.interval_coverage

    from fits
    cross join published

)

select * from runs
