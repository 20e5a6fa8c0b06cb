{#- One row per customer with at least one valid order line up to as_of_date. -#}

with

sales as (

    select * from {{ ref('fct_sales') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

first_lines as (

    -- The customer's first order line decides acquisition channel and region.
    select
        customer_id,
        channel as acquisition_channel,
        region,
        payment_method as first_payment_method,
        row_number() over (
            partition by customer_id order by ordered_at, order_id, line_number
        ) as line_rank

    from sales

),

totals as (

    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(distinct order_id) as order_count,
        count(distinct order_date) as purchase_days,
        sum(net_amount) as total_net_revenue

    from sales
    group by 1

),

customers as (

    select
        totals.customer_id,
        totals.first_order_date,
        totals.last_order_date,
        first_lines.acquisition_channel,
        first_lines.region,
        first_lines.first_payment_method,
        {{ dbt.cast('totals.order_count', dbt.type_int()) }} as order_count,
        {{ dbt.cast('totals.purchase_days', dbt.type_int()) }} as purchase_days,
        totals.total_net_revenue,
        {{ days_between('totals.first_order_date', 'as_of.as_of_date') }} as tenure_days,
        totals.purchase_days > 1 as is_repeat_buyer,
        as_of.as_of_date

    from totals
    inner join first_lines
        on
            totals.customer_id = first_lines.customer_id
            and first_lines.line_rank = 1
    cross join as_of

)

select * from customers
