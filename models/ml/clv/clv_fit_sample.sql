{#- The seeded samples Cox and XGBoost are fitted on, per snapshot, in sample_order (md5 of
    customer_id and random_seed, the same on DuckDB and Snowflake): Cox on the first
    cox_sample_size customers of the snapshot it scores, XGBoost on the first
    xgboost_sample_size of the snapshot before (with targets). Python reads only these rows. -#}

{%- set cox_size = clv_var('cox_sample_size') %}
{%- set xgboost_size = clv_var('xgboost_sample_size') %}

with

clv_snapshots as (

    select * from {{ ref('clv_snapshots') }}

),

ordered as (

    select
        *,
        row_number() over (
            partition by snapshot_name
            order by {{ sample_order('customer_id') }}, customer_id
        ) as sample_rank

    from clv_snapshots

),

sampled as (

    select * from ordered
    where
        (snapshot_name in ('scoring', 'calibration') and sample_rank <= {{ cox_size }})
        or (snapshot_name in ('calibration', 'training') and sample_rank <= {{ xgboost_size }})

)

select * from sampled
