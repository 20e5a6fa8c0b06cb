{#- fct_sales holds exactly the validated lines, dim_customers every customer in it, and
    customer_rfm every customer of dim_customers (with a purchase or not). -#}

with

counts as (

    select
        (select count(*) from {{ ref('int_order_lines_validated') }}) as validated_lines,
        (select count(*) from {{ ref('fct_sales') }}) as sales_lines,
        (select count(distinct customer_id) from {{ ref('fct_sales') }}) as sales_customers,
        (select count(*) from {{ ref('dim_customers') }}) as dim_customers,
        (select count(*) from {{ ref('customer_rfm') }}) as rfm_customers

)

select * from counts
where
    validated_lines != sales_lines
    or sales_customers != dim_customers
    or dim_customers != rfm_customers
