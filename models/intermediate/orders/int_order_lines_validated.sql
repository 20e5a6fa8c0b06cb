{#- Order lines that pass every rule and fall on or before as_of_date, in US dollars, with
    their net revenue and whether their order is a purchase.

    Net revenue: a positive line earns amount - discount when its status earns revenue
    (order_statuses seed), else 0. A negative line is a return or credit of that customer: it
    counts, amount + discount (a discounted item refunds less), on its own date, unless it
    refunds what a status already reversed (is_repeated_refund: the same customer's returned
    or refunded line, or whole order, of the same amount to the cent, on or before the credit's
    date; paired one to one): a refund counts once.
    A purchase is an order (order_id, customer_id) whose lines net to more than 0: credit
    notes, fully returned or cancelled orders and zero-value orders are not purchases (no
    purchase day, no order count), though their net revenue still counts.

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
        -- what a reversed line would have earned, or what a credit refunds, in cents
        round(
            100 * abs(flagged.amount - sign(flagged.amount) * flagged.discount_amount) * flagged.usd_per_unit
        ) as refund_cents,
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

-- Reversed lines, and reversed orders of several lines, that a credit may refund again.
reversed as (

    select
        customer_id,
        order_id,
        order_date,
        refund_cents

    from valued
    where is_reversed

    union all

    select
        customer_id,
        order_id,
        min(order_date) as order_date,
        sum(refund_cents) as refund_cents

    from valued
    where is_reversed
    group by 1, 2
    having count(*) > 1

),

paired_reversals as (

    select
        *,
        row_number() over (
            partition by customer_id, refund_cents order by order_date, order_id
        ) as pair_number

    from reversed

),

paired_credits as (

    select
        order_id,
        customer_id,
        line_number,
        order_date,
        refund_cents,
        row_number() over (
            partition by customer_id, refund_cents order by order_date, order_id, line_number
        ) as pair_number

    from valued
    where is_credit

),

repeated_refunds as (

    select
        paired_credits.order_id,
        paired_credits.customer_id,
        paired_credits.line_number

    from paired_credits
    inner join paired_reversals
        on
            paired_credits.customer_id = paired_reversals.customer_id
            and paired_credits.refund_cents = paired_reversals.refund_cents
            and paired_credits.pair_number = paired_reversals.pair_number
    where paired_credits.order_date >= paired_reversals.order_date

),

refunds_counted_once as {{ recomputed_cte() }} (

    select
        {%- for column in ['order_id', 'line_number', 'is_line_number_derived', 'customer_id', 'ordered_at',
            'order_date', 'product_id', 'quantity', 'currency', 'gross_amount', 'discount_amount'] %}
            valued.{{ column }},
        {%- endfor %}
        case when repeated_refunds.order_id is null then valued.net_amount else 0 end as net_amount,
        {%- for column in ['is_credit', 'is_reversed', 'is_zero_amount', 'status', 'channel', 'region',
            'payment_method'] %}
            valued.{{ column }},
        {%- endfor %}
        repeated_refunds.order_id is not null as is_repeated_refund

    from valued
    left join repeated_refunds
        on
            valued.order_id = repeated_refunds.order_id
            and valued.customer_id = repeated_refunds.customer_id
            and valued.line_number = repeated_refunds.line_number

),

orders as (

    -- an aggregate and a join: a window over 10M wide lines costs several times more
    select
        order_id,
        customer_id,
        {{ sum_money('net_amount') }} > 0 as is_purchase

    from refunds_counted_once
    group by 1, 2

),

validated as (

    select
        refunds_counted_once.*,
        orders.is_purchase

    from refunds_counted_once
    inner join orders
        on
            refunds_counted_once.order_id = orders.order_id
            and refunds_counted_once.customer_id = orders.customer_id

)

select * from validated
