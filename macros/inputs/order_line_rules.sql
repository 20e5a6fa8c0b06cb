{#- The first validation rule a typed order line breaks, as a reject reason (null when it breaks
    none), in the order of the reject_reasons seed. `lines` is the relation (or CTE) of typed
    lines, `currency_rates` and `order_statuses` the seeds joined to it on currency and
    status_text (null columns where nothing matched). Duplicates are decided after numbering,
    in int_order_lines_flagged. -#}
{% macro first_rule_broken(lines, currency_rates, order_statuses) %}
case
    when {{ lines }}.is_unreadable_line then 'unreadable_line'
    when {{ lines }}.order_id is null then 'missing_order_id'
    when {{ lines }}.customer_id is null then 'missing_customer_id'
    when {{ lines }}.is_superseded then 'superseded_export'
    when {{ lines }}.ordered_at is null then 'unparsable_ordered_at'
    when {{ lines }}.ordered_at < {{ timestamp_literal(clv_var('min_order_date')) }} then 'implausible_ordered_at'
    when {{ lines }}.ordered_at > {{ run_started_at_utc() }} then 'future_ordered_at'
    when {{ lines }}.amount is null then 'invalid_amount'
    when not {{ is_finite(lines ~ '.amount') }} then 'non_finite_amount'
    when {{ currency_rates }}.currency_code is null then 'unknown_currency'
    when abs({{ lines }}.amount * {{ currency_rates }}.usd_per_unit) > {{ clv_var('max_line_amount') }}
        then 'implausible_amount'
    when
        not {{ is_finite(lines ~ '.discount_amount') }}
        or {{ lines }}.discount_amount < 0
        or {{ lines }}.discount_amount > abs({{ lines }}.amount) then 'invalid_discount'
    when {{ lines }}.quantity is null then 'invalid_quantity'
    when
        {{ lines }}.line_number_text is not null
        and coalesce({{ lines }}.given_line_number, 0) < 1 then 'invalid_line_number'
    when {{ order_statuses }}.status is null then 'unknown_status'
end
{%- endmacro %}
