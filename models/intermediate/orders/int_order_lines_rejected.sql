{#- The quarantine: every raw line that is not used, with the reason, as it arrived.
    Lines after as_of_date are here too (reason after_as_of_date), so that raw rows always
    reconcile: raw = validated + rejected. -#}

with

flagged as (

    select * from {{ ref('int_order_lines_flagged') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

rejected as (

    select
        coalesce(
            flagged.reject_reason,
            case when flagged.order_date > as_of.as_of_date then 'after_as_of_date' end
        ) as reject_reason,
        flagged.order_id,
        flagged.line_number,
        flagged.customer_id,
        flagged.ordered_at_text,
        flagged.amount_text,
        flagged.currency,
        flagged.discount_amount_text,
        flagged.quantity_text,
        flagged.line_number_text,
        flagged.status_text,
        flagged.source_file,
        flagged.raw_line,
        as_of.as_of_date

    from flagged
    cross join as_of

)

select * from rejected
where reject_reason is not null
