{#- How K-Means segments and CLV tiers line up: customers and predicted CLV per cell.
    Compile with `dbt compile -s segments_by_clv_tier` and run the SQL in target/compiled. -#}

with

segments as (

    select * from {{ ref('customer_segments') }}

),

predictions as (

    select * from {{ ref('clv_predictions') }}

),

crossed as (

    select
        segments.segment_name,
        predictions.clv_tier,
        count(*) as customers,
        sum(predictions.predicted_clv) as predicted_clv,
        avg(predictions.p_alive) as mean_p_alive

    from segments
    inner join predictions
        on segments.customer_id = predictions.customer_id
    group by 1, 2

)

select * from crossed
order by 1, 2
