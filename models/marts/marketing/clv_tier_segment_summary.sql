{#- Customers and predicted value per CLV tier x segment, with each cell's share of all
    customers and of all predicted revenue: where the value sits. -#}
with

predictions as (

    select * from {{ ref('clv_predictions') }}

),

segments as (

    select * from {{ ref('customer_segments') }}

),

cells as (

    select
        predictions.clv_tier,
        segments.segment_id,
        segments.segment_name,
        count(*) as customers,
        sum(predictions.predicted_revenue) as predicted_revenue,
        sum(predictions.predicted_clv) as predicted_clv,
        avg(predictions.predicted_clv) as mean_predicted_clv,
        avg(predictions.p_alive) as mean_p_alive
    from predictions
    inner join segments on predictions.customer_id = segments.customer_id
    group by 1, 2, 3

)

select
    clv_tier,
    {{ clv_tier_rank('clv_tier') }} as clv_tier_rank,
    segment_id,
    segment_name,
    customers,
    predicted_revenue,
    predicted_clv,
    mean_predicted_clv,
    mean_p_alive,
    cast(customers as double) / sum(customers) over () as customer_share,
    predicted_revenue / nullif(sum(predicted_revenue) over (), 0) as predicted_revenue_share
from cells
