{#- Where RFM segments and predicted value disagree (segment_mismatch), per RFM segment. -#}

with

predictions as (

    select * from {{ ref('clv_predictions') }}

),

by_segment as (

    select
        rfm_segment,
        count(*) as customers,
        avg(predicted_clv) as mean_predicted_clv,
        avg(case when segment_mismatch then 1.0 else 0.0 end) as mismatch_share,
        sum(case when clv_tier = 'High' then 1 else 0 end) as high_tier_customers

    from predictions
    group by 1

)

select * from by_segment
order by 3 desc
