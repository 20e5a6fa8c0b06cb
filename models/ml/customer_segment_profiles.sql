{#- One row per segment of customer_segments: size, share, mean and median features, and the
    mean silhouette of its customers (on the seeded silhouette sample). -#}

with

segments as (

    select * from {{ ref('customer_segments') }}

),

profiles as (

    select
        segment_id,
        segment_name,
        recommended_action,
        count(*) as customers,
        count(*) * 1.0 / sum(count(*)) over () as customer_share,
        avg(days_since_last_order) as mean_days_since_last_order,
        median(days_since_last_order) as median_days_since_last_order,
        avg(frequency) as mean_frequency,
        median(frequency) as median_frequency,
        avg(monetary) as mean_monetary,
        median(monetary) as median_monetary,
        avg(avg_order_value) as mean_avg_order_value,
        avg(discount_share) as mean_discount_share,
        avg(silhouette) as silhouette,
        max(as_of_date) as as_of_date

    from segments
    group by 1, 2, 3

)

select * from profiles
