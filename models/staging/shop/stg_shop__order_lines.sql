{#- Types and renames the raw order lines. Nothing is dropped here: every raw row goes on to
    validation, which keeps it or quarantines it with a reason. Optional columns the raw data
    lacks take their documented default; a value that is present but does not parse becomes
    null (and is quarantined in validation), never a silent default. Ids lose invisible
    characters, and a placeholder ("NULL", "n/a", ...) is a missing id. -#}
{%- set available = source_columns(source('shop', 'orders')) -%}
{%- set naive_files = naive_timestamp_files('ordered_at') -%}
{%- set loaded_at_column = (clv_var('raw_loaded_at_column') or '') | lower -%}
{%- set parsed = order_line_parsed_values() -%}

with

source as (

    select * from {{ source('shop', 'orders') }}

),

-- CSV lines the reader could not place (DuckDB; none in a warehouse table)
unreadable as (

    {%- set on_duckdb = target.type == 'duckdb' %}
    select * from {{ source('shop', 'orders_unreadable') if on_duckdb else no_unreadable_lines() }}

),


as_text as (

    select
        {{ id_column_or_null('order_id', available) }} as order_id,
        {{ text_column_or_null('line_number', available) }} as line_number_text,
        {{ id_column_or_null('customer_id', available) }} as customer_id,
        -- naive timestamps of files a glob read as UTC: local time again (naive_timestamp_files)
        {{ naive_as_local_text(text_column_or_null('ordered_at', available), naive_files) }}
            as ordered_at_text,
        {{ text_column_or_null('amount', available) }} as amount_text,
        {{ text_column_or_null('currency', available) }} as currency_text,
        {{ text_column_or_null('discount_amount', available) }} as discount_amount_text,
        {{ text_column_or_null('quantity', available) }} as quantity_text,
        {{ text_column_or_null('product_id', available) }} as product_id,
        {{ text_column_or_null('status', available) }} as status_text,
        {{ text_column_or_null('channel', available) }} as channel_text,
        {{ text_column_or_null('region', available) }} as region_text,
        {{ text_column_or_null('payment_method', available) }} as payment_method_text,
        {{ text_column_or_null(loaded_at_column, available) }} as loaded_at_text,
        -- the file a row comes from (DuckDB; the latest export of an order wins)
        {{ text_column_or_null(source_file_column(), available) }} as source_file,
        false as is_unreadable_line,
        cast(null as {{ dbt.type_string() }}) as raw_line

    from source

    union all

    -- each a row of its own, quarantined in validation
    {%- set text_columns = ['order_id', 'line_number_text', 'customer_id', 'ordered_at_text', 'amount_text',
        'currency_text', 'discount_amount_text', 'quantity_text', 'product_id', 'status_text', 'channel_text',
        'region_text', 'payment_method_text', 'loaded_at_text'] %}
    select
        {%- for column in text_columns %}
            cast(null as {{ dbt.type_string() }}) as {{ column }},
        {%- endfor %}
        source_file,
        true as is_unreadable_line,
        raw_line

    from unreadable

),

renamed as (

    select
        {{ placeholder_to_null('order_id') }} as order_id,
        line_number_text,
        {{ parsed.given_line_number }} as given_line_number,
        {{ placeholder_to_null('customer_id') }} as customer_id,
        ordered_at_text,
        {{ parsed.ordered_at }} as ordered_at,
        amount_text,
        {{ parsed.amount }} as amount,
        upper(coalesce(currency_text, {{ sql_literal(clv_var('default_currency')) }})) as currency,
        discount_amount_text,
        {{ parsed.discount_amount }} as discount_amount,
        quantity_text,
        {{ parsed.quantity }} as quantity,
        product_id,
        lower(coalesce(status_text, 'completed')) as status_text,
        lower(coalesce(channel_text, 'unknown')) as channel,
        lower(coalesce(region_text, 'unknown')) as region,
        lower(coalesce(payment_method_text, 'unknown')) as payment_method,
        -- when the raw rows were loaded (var raw_loaded_at_column): incremental validation
        {{ to_utc_timestamp('loaded_at_text') }} as loaded_at,
        source_file,
        is_unreadable_line,
        raw_line

    from as_text

)

select * from renamed
