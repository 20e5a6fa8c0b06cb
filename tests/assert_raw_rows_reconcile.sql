{#- Nothing is lost: every raw row is either a validated line or a quarantined one. -#}

with

raw_rows as (

    -- with the CSV lines the reader could not place, read apart (collect_unreadable_lines)
    {%- set on_duckdb = target.type == 'duckdb' %}
    {%- set unreadable = source('shop', 'orders_unreadable') if on_duckdb else no_unreadable_lines() %}
    select
        (select count(*) from {{ source('shop', 'orders') }})
        + (select count(*) from {{ unreadable }}) as row_count

),

validated_rows as (

    select count(*) as row_count from {{ ref('int_order_lines_validated') }}

),

rejected_rows as (

    select count(*) as row_count from {{ ref('int_order_lines_rejected') }}

),

reconciled as (

    select
        raw_rows.row_count as raw_row_count,
        validated_rows.row_count as validated_row_count,
        rejected_rows.row_count as rejected_row_count

    from raw_rows
    cross join validated_rows
    cross join rejected_rows

)

select * from reconciled
where raw_row_count != validated_row_count + rejected_row_count
