{#- Order lines that pass every rule and fall on or before as_of_date, in US dollars, with
    their net revenue and whether their order is a purchase.

    Net revenue: a positive line earns amount - discount when its status earns revenue
    (order_statuses seed), else 0. A negative line is a return or credit of that customer: it
    always counts, amount + discount (a discounted item refunds less), on its own date.
    A purchase is an order whose lines net to more than 0: credit notes, fully returned or
    cancelled orders and zero-value orders are not purchases (no purchase day, no order
    count), though their net revenue still counts.

    The kept lines are read twice (order totals, then the join) rather than stored once in
    between: recomputed_cte. -#}

with

flagged as {{ recomputed_cte() }} (

    select * from {{ ref('int_order_lines_flagged') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

valued as {{ recomputed_cte() }} (

    select
        flagged.order_id,
        flagged.line_number,
        flagged.is_line_number_derived,
        flagged.customer_id,
        flagged.ordered_at,
        flagged.order_date,
        flagged.product_id,
        flagged.quantity,
        flagged.currency,
        flagged.amount * flagged.usd_per_unit as gross_amount,
        flagged.discount_amount * flagged.usd_per_unit as discount_amount,
        case
            when flagged.amount < 0 then (flagged.amount + flagged.discount_amount) * flagged.usd_per_unit
            when flagged.earns_revenue then (flagged.amount - flagged.discount_amount) * flagged.usd_per_unit
            else 0
        end as net_amount,
        flagged.amount < 0 as is_credit,
        flagged.amount > 0 and not flagged.earns_revenue as is_reversed,
        flagged.amount = 0 as is_zero_amount,
        flagged.status,
        flagged.channel,
        flagged.region,
        flagged.payment_method

    from flagged
    cross join as_of
    where
        flagged.reject_reason is null
        and flagged.order_date <= as_of.as_of_date

),

orders as (

    -- an aggregate and a join: a window over 10M wide lines costs several times more
    select
        order_id,
        {{ sum_money('net_amount') }} > 0 as is_purchase

    from valued
    group by 1

),

validated as (

    select
        valued.*,
        orders.is_purchase

    from valued
    inner join orders
        on valued.order_id = orders.order_id

)

select * from validated
