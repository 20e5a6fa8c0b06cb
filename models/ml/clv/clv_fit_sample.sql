{#- The seeded samples Cox and XGBoost are fitted on, per snapshot, in sample_order (md5 of
    customer_id and random_seed, the same on DuckDB and Snowflake): Cox on the first
    cox_sample_size customers of the snapshot it scores (scoring, calibration), XGBoost on the
    first xgboost_sample_size of the snapshot before (calibration, training; with targets).
    Python reads only these rows. Each snapshot's sample is a top-n, ranked afterwards. -#}

{%- set cox_size = clv_var('cox_sample_size') %}
{%- set xgboost_size = clv_var('xgboost_sample_size') %}
{%- set calibration_size = [cox_size, xgboost_size] | max %}

with

clv_snapshots as (

    select * from {{ ref('clv_snapshots') }}

),

scoring_sample as (

    {{ first_in_sample_order(
        'clv_snapshots', cox_size, where="snapshot_name = 'scoring'"
    ) | indent(4) }}

),

calibration_sample as (

    {{ first_in_sample_order(
        'clv_snapshots', calibration_size, where="snapshot_name = 'calibration'"
    ) | indent(4) }}

),

training_sample as (

    {{ first_in_sample_order(
        'clv_snapshots', xgboost_size, where="snapshot_name = 'training'"
    ) | indent(4) }}

),

first_customers as (

    select * from scoring_sample
    union all
    select * from calibration_sample
    union all
    select * from training_sample

),

sampled as (

    select
        *,
        row_number() over (
            partition by snapshot_name
            order by {{ sample_order('customer_id') }}, customer_id
        ) as sample_rank

    from first_customers

)

select * from sampled
