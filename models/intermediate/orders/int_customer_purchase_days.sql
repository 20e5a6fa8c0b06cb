{#- One row per customer per day with a purchase: the unit BTYD models count
    ("repeat purchase days", as in lifetimes). A view: only int_customer_snapshots reads it. -#}
{{ config(materialized='view') }}

with

sales as (

    select * from {{ ref('fct_sales') }}

),

purchase_days as (

    select
        customer_id,
        order_date,
        count(distinct order_id) as order_count,
        sum(gross_amount) as gross_amount,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_amount

    from sales
    group by 1, 2

),

flagged as (

    select
        *,
        order_date = min(order_date) over (partition by customer_id) as is_first_purchase_day

    from purchase_days

)

select * from flagged
