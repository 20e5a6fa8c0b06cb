{#- Order lines that pass every rule and fall on or before as_of_date, in US dollars. -#}

with

flagged as (

    select * from {{ ref('int_order_lines_flagged') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

validated as (

    select
        flagged.order_id,
        flagged.line_number,
        flagged.customer_id,
        flagged.ordered_at,
        cast(flagged.ordered_at as date) as order_date,
        flagged.product_id,
        flagged.quantity,
        flagged.currency,
        flagged.amount * flagged.usd_per_unit as gross_amount,
        flagged.discount_amount * flagged.usd_per_unit as discount_amount,
        flagged.status,
        flagged.channel,
        flagged.region,
        flagged.payment_method

    from flagged
    cross join as_of
    where
        flagged.reject_reason is null
        and cast(flagged.ordered_at as date) <= as_of.as_of_date

)

select * from validated
