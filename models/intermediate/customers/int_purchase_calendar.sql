{#- One row per date with a purchase: how many customers bought, how many of those were repeat
    purchases, and how many customers had made a first purchase by then. Small (one row per
    day): the seasonal adjustment of the CLV models learns its calendar from it. -#}

with

order_days as (

    select * from {{ ref('int_customer_order_days') }}

),

customers as (

    select * from {{ ref('int_customers') }}

),

daily as (

    select
        order_days.order_date,
        count(*) as purchasing_customers,
        sum(case when order_days.order_date > customers.first_order_date then 1 else 0 end)
            as repeat_purchases,
        sum(case when order_days.order_date = customers.first_order_date then 1 else 0 end)
            as first_purchases

    from order_days
    inner join customers
        on order_days.customer_id = customers.customer_id
    where order_days.is_purchase_day
    group by 1

),

calendar as (

    select
        order_date,
        {{ dbt.cast('purchasing_customers', dbt.type_int()) }} as purchasing_customers,
        {{ dbt.cast('repeat_purchases', dbt.type_int()) }} as repeat_purchases,
        {{ dbt.cast('first_purchases', dbt.type_int()) }} as first_purchases,
        {{ dbt.cast(
            'sum(first_purchases) over (order by order_date rows between unbounded preceding and current row)',
            dbt.type_int(),
        ) }} as customers_acquired

    from daily

)

select * from calendar
