{#- Types and renames the raw order lines. Nothing is dropped here: every raw row goes on to
    validation, which keeps it or quarantines it with a reason. Optional columns the raw data
    lacks become nulls. -#}
{%- set available = source_columns(source('shop', 'orders')) -%}

with

source as (

    select * from {{ source('shop', 'orders') }}

),

as_text as (

    select
        {{ text_column_or_null('order_id', available) }} as order_id,
        {{ text_column_or_null('line_number', available) }} as line_number_text,
        {{ text_column_or_null('customer_id', available) }} as customer_id,
        {{ text_column_or_null('ordered_at', available) }} as ordered_at_text,
        {{ text_column_or_null('amount', available) }} as amount_text,
        {{ text_column_or_null('currency', available) }} as currency_text,
        {{ text_column_or_null('discount_amount', available) }} as discount_amount_text,
        {{ text_column_or_null('quantity', available) }} as quantity_text,
        {{ text_column_or_null('product_id', available) }} as product_id,
        {{ text_column_or_null('status', available) }} as status_text,
        {{ text_column_or_null('channel', available) }} as channel_text,
        {{ text_column_or_null('region', available) }} as region_text,
        {{ text_column_or_null('payment_method', available) }} as payment_method_text

    from source

),

renamed as (

    select
        order_id,
        coalesce({{ parse_text('line_number_text', dbt.type_int()) }}, 1) as line_number,
        customer_id,
        ordered_at_text,
        {{ parse_text('ordered_at_text', dbt.type_timestamp()) }} as ordered_at,
        amount_text,
        {{ parse_text('amount_text', 'double') }} as amount,
        upper(coalesce(currency_text, '{{ var("default_currency") }}')) as currency,
        coalesce({{ parse_text('discount_amount_text', 'double') }}, 0) as discount_amount,
        coalesce({{ parse_text('quantity_text', dbt.type_int()) }}, 1) as quantity,
        product_id,
        lower(coalesce(status_text, 'completed')) as status,
        lower(coalesce(channel_text, 'unknown')) as channel,
        lower(coalesce(region_text, 'unknown')) as region,
        lower(coalesce(payment_method_text, 'unknown')) as payment_method

    from as_text

)

select * from renamed
