{#- One row per segment of customer_segments: size, share, mean and median features, and the
    mean silhouette of its customers in the seeded silhouette sample (segmentation_centroids). -#}

with

segments as (

    select * from {{ ref('customer_segments') }}

),

silhouettes as (

    select distinct
        segment_id,
        segment_silhouette

    from {{ ref('segmentation_centroids') }}

),

profiles as (

    select
        segments.segment_id,
        segments.segment_name,
        segments.segment_action,
        count(*) as customers,
        cast(count(*) as double) / sum(count(*)) over () as customer_share,
        avg(cast(days_since_last_order as double)) as mean_days_since_last_order,
        cast(median(days_since_last_order) as double) as median_days_since_last_order,
        avg(cast(frequency as double)) as mean_frequency,
        cast(median(frequency) as double) as median_frequency,
        avg(monetary) as mean_monetary,
        median(monetary) as median_monetary,
        avg(avg_order_value) as mean_avg_order_value,
        avg(discount_share) as mean_discount_share,
        max(silhouettes.segment_silhouette) as silhouette,
        max(segments.as_of_date) as as_of_date

    from segments
    left join silhouettes
        on segments.segment_id = silhouettes.segment_id
    group by 1, 2, 3

)

select * from profiles
