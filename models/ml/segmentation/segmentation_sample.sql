{#- The seeded sample K-Means is fitted and judged on: at most segmentation_sample_size
    customers with a purchase of int_customers_rfm_scored in sample_order, the first
    silhouette_sample_size of them flagged for the silhouette. Python reads this table.

    The sample is a top-n (order by ... limit), ranked afterwards: a window ranking every
    customer would sort them all on one thread (benchmarks/README.md, design choices). -#}

with

customers as (

    select * from {{ ref('int_customers_rfm_scored') }}
    -- K-Means is fitted on customers with a purchase; customer_segments names the rest
    where has_purchase

),

customer_count as (

    select count(*) as customers
    from customers

),

first_customers as (

    {{ first_in_sample_order('customers', clv_var('segmentation_sample_size')) | indent(4) }}

),

ordered as (

    select
        first_customers.*,
        row_number() over (
            order by {{ sample_order('first_customers.customer_id') }}, first_customers.customer_id
        ) as sample_rank,
        customer_count.customers

    from first_customers
    cross join customer_count

),

sampled as (

    select
        *,
        sample_rank <= {{ clv_var('silhouette_sample_size') }} as is_silhouette_sample

    from ordered

)

select * from sampled
