{#- One row per customer with at least one kept order line up to as_of_date. A customer with
    only credits (returns of purchases before the data) is here with its net revenue and no
    purchase dates; customer_rfm and the CLV models leave such customers out. -#}

with

customers as (

    select * from {{ ref('int_customers') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

dimension as (

    select
        customers.customer_id,
        customers.first_order_date,
        customers.last_order_date,
        customers.acquisition_channel,
        customers.region,
        customers.first_payment_method,
        customers.order_count,
        customers.purchase_days,
        customers.total_net_revenue,
        customers.returned_amount,
        {{ days_between('customers.first_order_date', 'as_of.as_of_date') }} as tenure_days,
        customers.purchase_days > 1 as is_repeat_buyer,
        customers.purchase_days > 0 as has_purchase,
        as_of.as_of_date

    from customers
    cross join as_of

)

select * from dimension
