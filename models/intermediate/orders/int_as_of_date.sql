{#- The point in time every model works at: the as_of_date var, or else the latest date of
    an order line that passes validation. One row. -#}

with

flagged as (

    select * from {{ ref('int_order_lines_flagged') }}

),

latest_valid as (

    select max(cast(ordered_at as date)) as latest_order_date
    from flagged
    where reject_reason is null

),

as_of as (

    select
        coalesce({{ as_of_date_var() }}, latest_order_date) as as_of_date,
        latest_order_date,
        {{ clv_var('horizon_days') }} as horizon_days

    from latest_valid

)

select * from as_of
