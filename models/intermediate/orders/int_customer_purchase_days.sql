{#- One row per customer per day with a purchase: the unit BTYD models count
    ("repeat purchase days", as in lifetimes). A view: at 10M lines, writing it to disk costs
    more than its two readers (customer_rfm, int_customer_snapshots) computing it. -#}
{{ config(materialized='view') }}

with

sales as (

    select * from {{ ref('fct_sales') }}

),

orders as (

    -- One row per order and day first: counting rows of it afterwards gives the day's
    -- distinct orders without a count(distinct), the costly part at 10M lines.
    select
        customer_id,
        order_date,
        order_id,
        sum(gross_amount) as gross_amount,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_amount

    from sales
    group by 1, 2, 3

),

purchase_days as (

    select
        customer_id,
        order_date,
        count(*) as order_count,
        sum(gross_amount) as gross_amount,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_amount

    from orders
    group by 1, 2

)

select * from purchase_days
