{#- Every staged line with the first rule it breaks (null when it breaks none), before the
    as_of_date cut-off, which int_as_of_date needs to find its default. -#}

with

order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

),

checked as (

    select
        order_lines.*,
        currency_rates.usd_per_unit,
        case
            when order_lines.order_id is null then 'missing_order_id'
            when order_lines.customer_id is null then 'missing_customer_id'
            when order_lines.ordered_at is null then 'unparsable_ordered_at'
            when order_lines.ordered_at > {{ dbt.current_timestamp() }} then 'future_ordered_at'
            when order_lines.amount is null then 'invalid_amount'
            when order_lines.amount < 0 then 'negative_amount'
            when currency_rates.currency_code is null then 'unknown_currency'
            when
                order_lines.discount_amount < 0
                or order_lines.discount_amount > order_lines.amount then 'invalid_discount'
        end as rule_broken

    from order_lines
    left join currency_rates
        on order_lines.currency = currency_rates.currency_code

),

ranked as (

    select
        *,
        -- The first valid copy of a line is kept; later copies are duplicates.
        row_number() over (
            partition by order_id, line_number
            order by
                case when rule_broken is null then 0 else 1 end,
                ordered_at_text,
                amount_text,
                customer_id
        ) as line_copy_number

    from checked

),

flagged as (

    select
        *,
        coalesce(
            rule_broken,
            case when line_copy_number > 1 then 'duplicate_line' end
        ) as reject_reason

    from ranked

)

select * from flagged
