{#- The most a new customer may cost to acquire, per acquisition channel and region: the var
    max_acquisition_cost_share (default 30%) of the mean predicted CLV of the customers acquired
    there. -#}
with

customers as (

    select * from {{ ref('dim_customers') }}

),

predictions as (

    select * from {{ ref('clv_predictions') }}

),

acquired as (

    select
        coalesce(customers.acquisition_channel, 'unknown') as acquisition_channel,
        coalesce(customers.region, 'unknown') as region,
        count(*) as customers,
        avg(predictions.predicted_clv) as mean_predicted_clv,
        sum(predictions.predicted_clv) as predicted_clv
    from predictions
    inner join customers on predictions.customer_id = customers.customer_id
    group by 1, 2

)

select
    acquisition_channel,
    region,
    customers,
    mean_predicted_clv,
    predicted_clv,
    {{ clv_var('max_acquisition_cost_share') }} * mean_predicted_clv as max_acquisition_cost
from acquired
