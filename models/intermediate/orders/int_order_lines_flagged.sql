{#- Every staged line with the first rule it breaks (null when it breaks none), before the
    as_of_date cut-off, which int_as_of_date needs to find its default. The rules and their
    order are the reject_reasons seed.

    Order identity (ids, the latest export of an order) is settled in int_order_lines_identified:
    an order here is (order_id, customer_id).

    Line identity: a line without a line number is numbered after the order's given numbers,
    in the order of its content (not of the file), so the result never depends on row order.
    Exact repeats of a row share a number, which makes the later copies duplicate_line.
    Only orders with a line without a usable number or a number given twice (special_orders,
    found from two columns) go through those windows, on their own stored lines, parsed from
    their text only after the join that finds them; every other line keeps its number as the
    only copy, in one more pass over the input (timings: benchmarks/README.md). -#}

{#- With raw_loaded_at_column, incremental: each run validates only the orders touched since
    the last one and replaces them (macros/incremental/validation_plan.sql). Permanent and
    clustered by order_date on Snowflake then: it keeps state across runs. -#}
{#- When nothing is kept, the build stops here with what to fix (stop_if_nothing_kept). -#}
{%- set inputs = [ref('int_order_lines_identified'), ref('currency_rates'), ref('order_statuses')] -%}
{%- set settings = {'materialized': 'table',
    'post_hook': [{'sql': '{{ stop_if_nothing_kept() }}', 'transaction': false}]} -%}
{%- if clv_var('raw_loaded_at_column') is not none -%}
    {%- do settings.update({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
        'unique_key': 'order_id', 'on_schema_change': 'fail', 'cluster_by': ['order_date'], 'transient': false,
        'pre_hook': "{{ validation_clear(ref('int_order_lines_identified'), ref('currency_rates'),"
            ~ " ref('order_statuses')) }}"}) -%}
{%- endif -%}
{{ config(**settings) }}
{%- set plan = validation_plan(*inputs) -%}
{%- if is_incremental() %}{{ log(this.identifier ~ ": " ~ ("incremental" if plan.mode == 'orders' else "full")
    ~ " validation: " ~ plan.reason, info=true) }}{% endif -%}
{%- set parsed = order_line_parsed_values() -%}
{#- int_order_lines_identified's columns in its order (the special lines join its rows in a union). -#}
{%- set staged_columns = ['order_id', 'line_number_text', 'given_line_number', 'customer_id',
    'ordered_at_text', 'ordered_at', 'amount_text', 'amount', 'currency', 'discount_amount_text', 'discount_amount',
    'quantity_text', 'quantity', 'product_id', 'status_text', 'channel', 'region', 'payment_method', 'loaded_at',
    'source_file', 'is_unreadable_line', 'raw_line', 'is_superseded'] -%}
{%- set row_content = ['customer_id', 'ordered_at_text', 'product_id', 'amount_text', 'discount_amount_text',
    'quantity_text', 'status_text', 'currency', 'channel', 'region', 'payment_method'] -%}

with

order_lines as {{ recomputed_cte() }} (

    select * from {{ ref('int_order_lines_identified') }}
    {%- if plan.mode == 'orders' %}
    where {{ revalidated_rows(plan) }}
    {%- endif %}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

),

order_statuses as (

    select * from {{ ref('order_statuses') }}

),

rules as (

    select {{ validation_rules('currency_rates', 'order_statuses') }} as validation_rules

),

-- Orders (order_id, customer_id) whose lines need more than their own row: a line without a
-- usable number, or a number given twice (also by an older export). Most files have few or none.
special_orders as (

    select distinct
        order_id,
        customer_id

    from (
        select
            order_id,
            customer_id,
            given_line_number

        from order_lines
        where order_id is not null
        group by 1, 2, 3
        having given_line_number is null or count(*) > 1
    ) as numbers

),

-- Every other line as staged, and the special orders' lines parsed again from their text
-- after the join that finds them (in staging's column order): parsing is most of a pass over
-- the input, and these lines are few.
lines as {{ recomputed_cte() }} (

    select
        order_lines.*,
        false as is_special_order

    from order_lines
    left join special_orders
        on
            order_lines.order_id = special_orders.order_id
            and order_lines.customer_id = special_orders.customer_id
    where special_orders.order_id is null

    union all

    select
        {%- for column in staged_columns %}
            {{ parsed[column] if column in parsed else 'order_lines.' ~ column }} as {{ column }},
        {%- endfor %}
        true as is_special_order

    from order_lines
    inner join special_orders
        on
            order_lines.order_id = special_orders.order_id
            and order_lines.customer_id = special_orders.customer_id

),

checked as {{ recomputed_cte() }} (

    select
        lines.*,
        currency_rates.usd_per_unit,
        order_statuses.status,
        order_statuses.earns_revenue,
        {{ first_rule_broken('lines', 'currency_rates', 'order_statuses') | indent(8) }} as rule_broken

    from lines
    left join currency_rates
        on lines.currency = currency_rates.currency_code
    left join order_statuses
        on lines.status_text = order_statuses.status_text

),

-- Every other line keeps its given number and is the only copy of it (a line without an
-- order id too: it belongs to no order, is quarantined on its own and, on an incremental run,
-- is validated once, alone).
plain_lines as (

    select
        checked.*,
        false as is_line_number_derived,
        checked.given_line_number as line_number,
        1 as line_copy_number

    from checked
    where not checked.is_special_order

),

-- The special orders' lines, few: read by the numbering and the ranking below, so stored
-- once (stored_cte) rather than found again by each.
special_lines as {{ stored_cte() }} (

    select checked.*

    from checked
    where checked.is_special_order

),

needs_number as (

    select * from special_lines
    where given_line_number is null

),

order_numbers as (

    select
        order_id,
        customer_id,
        max(case when is_superseded then null else given_line_number end) as max_given_line_number

    from special_lines
    group by 1, 2

),

derived as (

    select
        needs_number.*,
        needs_number.line_number_text is null as is_line_number_derived,
        cast(
            coalesce(order_numbers.max_given_line_number, 0)
            + dense_rank() over (
                partition by
                    needs_number.order_id,
                    needs_number.customer_id,
                    needs_number.is_superseded,
                    needs_number.line_number_text is null
                order by needs_number.{{ row_content | join(', needs_number.') }}
            ) as {{ dbt.type_int() }}
        ) as line_number

    from needs_number
    left join order_numbers
        on
            needs_number.order_id = order_numbers.order_id
            and needs_number.customer_id = order_numbers.customer_id

),

numbered as (

    select
        *,
        false as is_line_number_derived,
        given_line_number as line_number

    from special_lines
    where given_line_number is not null

    union all

    select * from derived

),

ranked as (

    -- The first valid copy of a line is kept; later copies are duplicates.
    select
        *,
        row_number() over (
            partition by order_id, customer_id, line_number
            order by
                case when rule_broken is null then 0 else 1 end,
                {{ row_content | join(', ') }}
        ) as line_copy_number

    from numbered

    union all

    select * from plain_lines

),

ranked_reasons as (

    select
        *,
        coalesce(
            rule_broken,
            case when line_copy_number > 1 then 'duplicate_line' end
        ) as final_reason

    from ranked

),

flagged as (

    -- Raw text stays only where it explains a quarantine: kept lines carry their typed values.
    select
        order_id,
        case when final_reason is not null then line_number_text end as line_number_text,
        given_line_number,
        customer_id,
        case when final_reason is not null then ordered_at_text end as ordered_at_text,
        ordered_at,
        cast(ordered_at as date) as order_date,
        case when final_reason is not null then amount_text end as amount_text,
        amount,
        currency,
        case when final_reason is not null then discount_amount_text end as discount_amount_text,
        discount_amount,
        case when final_reason is not null then quantity_text end as quantity_text,
        quantity,
        product_id,
        status_text,
        channel,
        region,
        payment_method,
        usd_per_unit,
        status,
        earns_revenue,
        rule_broken,
        is_line_number_derived,
        line_number,
        line_copy_number,
        final_reason as reject_reason,
        loaded_at,
        source_file,
        raw_line,
        {{ run_started_at_utc() }} as validated_at,
        rules.validation_rules

    from ranked_reasons
    cross join rules

)

select * from flagged
