{#- One row per kept order line up to as_of_date, money in US dollars: sales, returns and
    credits (negative net_amount), with whether the line's order is a purchase.

    Incremental for scheduled runs (macros/incremental/fct_sales_refresh.sql): the last
    incremental_lookback_days are rewritten from the input on every run, in one transaction
    (the strategy replace_refreshed), so late edits there are picked up; if older lines differ from the input (another source, deleted or edited
    old lines) or the input's latest date went backwards, the whole table is rewritten and the
    log says why. A point-in-time run (as_of_date var set) is always a full rebuild. Not
    transient on Snowflake: it keeps state across runs, so it keeps Fail-safe. -#}
{%- set fingerprint_columns = ['order_id', 'line_number', 'customer_id', 'ordered_at', 'gross_amount',
    'discount_amount', 'net_amount', 'status', 'is_purchase'] -%}
{%- set input_relation = ref('int_order_lines_validated') -%}
{{ config(
    materialized='table' if clv_var('as_of_date') else 'incremental',
    incremental_strategy='replace_refreshed',
    meta={'refresh_input': 'int_order_lines_validated', 'fingerprint_columns': fingerprint_columns},
    on_schema_change='fail',
    transient=false,
) }}
{%- set plan = incremental_refresh_plan(input_relation, fingerprint_columns) %}

with

validated as (

    select * from {{ input_relation }}
    {% if plan.mode == 'window' %}
        where order_date >= cast({{ sql_literal(plan.since) }} as date)
    {% endif %}

),

sales as (

    select
        -- a line is (order_id, customer_id, line_number): two customers may share an order id
        {%- set line_number_text = dbt.cast("line_number", api.Column.translate_type("string")) %}
        {{ dbt.hash(dbt.concat(["order_id", "'|'", "customer_id", "'|'", line_number_text])) }}
            as order_line_id,
        order_id,
        line_number,
        is_line_number_derived,
        customer_id,
        ordered_at,
        order_date,
        product_id,
        quantity,
        currency,
        gross_amount,
        discount_amount,
        net_amount,
        is_purchase,
        is_credit,
        is_reversed,
        is_repeated_refund,
        is_zero_amount,
        status,
        channel,
        region,
        payment_method

    from validated

)

select * from sales
