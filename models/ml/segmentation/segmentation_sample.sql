{#- The seeded sample K-Means is fitted and judged on: at most segmentation_sample_size
    customers of customer_rfm in sample_order, the first silhouette_sample_size of them flagged
    for the silhouette. Python reads this table, never customer_rfm. -#}

with

customers as (

    select * from {{ ref('customer_rfm') }}

),

ordered as (

    select
        *,
        row_number() over (order by {{ sample_order('customer_id') }}, customer_id) as sample_rank,
        count(*) over () as customers

    from customers

),

sampled as (

    select
        *,
        sample_rank <= {{ clv_var('silhouette_sample_size') }} as is_silhouette_sample

    from ordered
    where sample_rank <= {{ clv_var('segmentation_sample_size') }}

)

select * from sampled
