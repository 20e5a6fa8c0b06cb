{#- One row per customer with a kept order line up to as_of_date, purchases or only credits:
    first and last purchase dates, where the customer came from, and totals. dim_customers
    and the RFM snapshots (customer_rfm, int_customer_snapshots) both read it. -#}

with

validated as (

    select * from {{ ref('int_order_lines_validated') }}

),

order_days as (

    select * from {{ ref('int_customer_order_days') }}

),

-- The first line of the customer's first purchase decides acquisition channel and region
-- (the first line of any kind for a customer with only credits).
first_lines as (

    {{ first_rows(
        'validated',
        group_by='customer_id',
        order_by=['case when is_purchase then 0 else 1 end', 'ordered_at', 'order_id', 'line_number'],
        columns={'acquisition_channel': 'channel', 'region': 'region', 'first_payment_method': 'payment_method'},
    ) | indent(4) }}

),

totals as (

    select
        customer_id,
        min(case when is_purchase_day then order_date end) as first_order_date,
        max(case when is_purchase_day then order_date end) as last_order_date,
        min(order_date) as first_activity_date,
        sum(order_count) as order_count,
        sum(case when is_purchase_day then 1 else 0 end) as purchase_days,
        {{ sum_money('net_amount') }} as total_net_revenue,
        0 - {{ sum_money('credit_amount') }} as returned_amount

    from order_days
    group by 1

),

customers as (

    select
        totals.customer_id,
        totals.first_order_date,
        totals.last_order_date,
        totals.first_activity_date,
        first_lines.acquisition_channel,
        first_lines.region,
        first_lines.first_payment_method,
        {{ dbt.cast('totals.order_count', dbt.type_int()) }} as order_count,
        {{ dbt.cast('totals.purchase_days', dbt.type_int()) }} as purchase_days,
        totals.total_net_revenue,
        totals.returned_amount

    from totals
    inner join first_lines
        on totals.customer_id = first_lines.customer_id

)

select * from customers
