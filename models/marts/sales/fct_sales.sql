{#- One row per valid order line up to as_of_date, money in US dollars. -#}

with

validated as (

    select * from {{ ref('int_order_lines_validated') }}

),

sales as (

    select
        {{ dbt.concat(["order_id", "'-'", dbt.cast("line_number", api.Column.translate_type("string"))]) }}
            as order_line_id,
        order_id,
        line_number,
        customer_id,
        ordered_at,
        order_date,
        product_id,
        quantity,
        currency,
        gross_amount,
        discount_amount,
        -- Returned, refunded and cancelled lines keep their purchase but earn nothing.
        case
            when status in ('returned', 'refunded', 'cancelled') then 0
            else gross_amount - discount_amount
        end as net_amount,
        status in ('returned', 'refunded', 'cancelled') as is_reversed,
        gross_amount = 0 as is_zero_amount,
        status,
        channel,
        region,
        payment_method

    from validated

)

select * from sales
