{#- One row per customer per day with a kept order line: purchase days (the unit BTYD models
    count, "repeat purchase days" as in lifetimes) and days with only credits (returns), which
    are not purchases but reduce net revenue on their date. US dollars.

    A table: five models read it, and at 10M lines computing it once saves more than writing
    it costs (benchmarks/README.md, design choices). -#}
{{ config(materialized='table') }}

with

validated as (

    select * from {{ ref('int_order_lines_validated') }}

),

orders as (

    -- One row per order and day first: counting rows of it afterwards gives the day's
    -- distinct orders without a count(distinct), the costly part at 10M lines.
    select
        customer_id,
        order_date,
        order_id,
        is_purchase,
        {{ sum_money('gross_amount') }} as gross_amount,
        {{ sum_money('discount_amount') }} as discount_amount,
        {{ sum_money('net_amount') }} as net_amount

    from validated
    group by 1, 2, 3, 4

),

order_days as (

    select
        customer_id,
        order_date,
        sum(case when is_purchase then 1 else 0 end) as order_count,
        {{ sum_money('case when is_purchase then gross_amount else 0 end') }} as gross_amount,
        {{ sum_money('case when is_purchase then discount_amount else 0 end') }} as discount_amount,
        {{ sum_money('case when is_purchase then net_amount else 0 end') }} as purchase_amount,
        -- Orders netting to 0 or less: returns, credit notes, cancelled orders.
        {{ sum_money('case when is_purchase then 0 else net_amount end') }} as credit_amount,
        {{ sum_money('net_amount') }} as net_amount

    from orders
    group by 1, 2

),

flagged_days as (

    select
        *,
        order_count > 0 as is_purchase_day

    from order_days

)

select * from flagged_days
