{#- Every staged line with the identity of its order settled, before any rule is judged.

    - Ids written as whole-number floats ("42.0", a numeric column exported by pandas) are the
      whole number ("42") when every id of that column in the input is a number; where any id
      is text ("C-42"), ids are kept exactly as written.
    - An order is (order_id, customer_id): two customers whose ids share an order id (shops
      whose order numbers restart, read through one glob) have two orders.
    - An order exported again (in several files of a glob, or several loads) is taken from its
      latest export: the latest load time (raw_loaded_at_column) and then the last file name
      (daily exports are named by date). Lines of older exports are is_superseded and become
      superseded_export in the quarantine, so a status change or a refund takes effect and
      nothing counts twice.
    A view: int_order_lines_flagged is its only reader. -#}
{{ config(materialized='view') }}

with

staged as (

    select * from {{ ref('stg_shop__order_lines') }}

),

-- Whether every id of a column is a whole number, maybe written as a float.
id_formats as (

    {%- set whole_number = '-?[0-9]+([.]0+)?' %}
    select
        -- (a missing id matches nothing and decides nothing)
        min(case when not {{ matches_fully('order_id', whole_number) }} then 0 else 1 end) = 1
            as are_order_ids_numeric,
        min(case when not {{ matches_fully('customer_id', whole_number) }} then 0 else 1 end) = 1
            as are_customer_ids_numeric

    from staged

),

identified as {{ recomputed_cte() }} (

    -- staging's columns in staging's order (int_order_lines_flagged unions by position)
    select
        case
            when id_formats.are_order_ids_numeric then {{ whole_number_text('staged.order_id') }}
            else staged.order_id
        end as order_id,
        staged.line_number_text,
        staged.given_line_number,
        case
            when id_formats.are_customer_ids_numeric then {{ whole_number_text('staged.customer_id') }}
            else staged.customer_id
        end as customer_id,
        {%- for column in ['ordered_at_text', 'ordered_at', 'amount_text', 'amount', 'currency',
            'discount_amount_text', 'discount_amount', 'quantity_text', 'quantity', 'product_id', 'status_text',
            'channel', 'region', 'payment_method', 'loaded_at', 'source_file', 'is_unreadable_line'] %}
            staged.{{ column }},
        {%- endfor %}
        staged.raw_line

    from staged
    cross join id_formats

),

-- Each order's exports: one row per order, load time and file.
exports as (

    select
        order_id,
        customer_id,
        loaded_at,
        source_file

    from identified
    where order_id is not null and customer_id is not null
    group by 1, 2, 3, 4

),

exported_again as (

    select
        order_id,
        customer_id

    from exports
    group by 1, 2
    having count(*) > 1

),

older_exports as (

    select *
    from (
        select
            exports.*,
            row_number() over (
                partition by exports.order_id, exports.customer_id
                order by exports.loaded_at desc nulls last, exports.source_file desc nulls last
            ) as export_recency

        from exports
        inner join exported_again
            on
                exports.order_id = exported_again.order_id
                and exports.customer_id = exported_again.customer_id
    ) as ranked_exports
    where export_recency > 1

),

versioned as (

    select
        identified.*,
        older_exports.order_id is not null as is_superseded

    from identified
    left join older_exports
        on
            identified.order_id = older_exports.order_id
            and identified.customer_id = older_exports.customer_id
            and identified.loaded_at is not distinct from older_exports.loaded_at
            and identified.source_file is not distinct from older_exports.source_file

)

select * from versioned
