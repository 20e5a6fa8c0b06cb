{#- Coverage both ways: every customer of customer_rfm has exactly one prediction, and there is
    no prediction for anyone else. -#}

with

rfm as (

    select customer_id from {{ ref('customer_rfm') }}

),

predictions as (

    select customer_id, count(*) as prediction_rows
    from {{ ref('clv_predictions') }}
    group by 1

),

mismatched as (

    select
        coalesce(rfm.customer_id, predictions.customer_id) as customer_id,
        coalesce(predictions.prediction_rows, 0) as prediction_rows,
        rfm.customer_id is not null as is_in_rfm

    from rfm
    full outer join predictions
        on rfm.customer_id = predictions.customer_id

)

select * from mismatched
where prediction_rows != 1 or not is_in_rfm
