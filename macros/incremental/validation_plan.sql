{#- How int_order_lines_flagged validates on this run. Without the raw_loaded_at_column var it
    is a table and validates every raw row ('full'). With it, an incremental run re-validates
    only the orders touched since the last run ('orders'): every raw row (of any load) of an
    order with a row loaded after the table's latest load, and of an order holding a row that
    was quarantined as future_ordered_at (time has moved on), plus new rows without an order id.
    Whole orders, because line numbering and duplicates are decided within an order, so the
    result equals a full build's; delete+insert on order_id then replaces exactly those orders.
    Rows loaded while the run goes wait for the next one (up_to).
    It validates everything again, with the reason logged, when the raw rows up to the table's
    latest load are not as many as the table holds (rows deleted or replaced, or rows without a
    load time), or when the rules changed (seeds and vars, fingerprinted in validation_rules).
    The relations: staged (int_order_lines_identified) and the two seeds the rules join.
    Returns {'mode': 'full' | 'orders', 'after', 'up_to', 'future_after', 'staged', 'reason'};
    the reason of an 'orders' plan counts the rows it validates unless counted=false. -#}
{% macro validation_plan(staged, currency_rates, order_statuses, counted=true) %}
    {%- set plan = {'mode': 'full', 'after': none, 'up_to': none, 'future_after': none, 'staged': staged,
        'reason': 'first build'} -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- set rules = run_query("select " ~ validation_rules(currency_rates, order_statuses)).rows[0][0] -%}
    {%- set held = run_query(
        "select max(loaded_at), count(*), min(validation_rules), max(validation_rules),"
        ~ " min(case when reject_reason = 'future_ordered_at' then validated_at end) from " ~ this).rows[0] -%}
    {%- if held[1] == 0 or held[0] is none -%}
        {%- do plan.update({'reason': 'the table holds no loaded rows'}) -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- if held[2] != rules or held[3] != rules -%}
        {%- do plan.update({'reason': 'the validation rules changed (seeds currency_rates, order_statuses or vars min_order_date, max_line_amount, default_currency, source_timezone)'}) -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- set after = held[0] | string -%}
    {%- set raw = run_query(
        "select max(loaded_at), count(case when not coalesce(loaded_at > " ~ timestamp_literal(after) ~ ", false) then 1 end)"
        ~ " from " ~ staged).rows[0] -%}
    {%- if raw[1] != held[1] -%}
        {%- do plan.update({'reason': raw[1] ~ " raw rows loaded up to " ~ after ~ " or without a load time, against "
            ~ held[1] ~ " validated: raw rows were deleted, replaced or lack a load time"}) -%}
        {{ return(plan) }}
    {%- endif -%}
    {%- do plan.update({'mode': 'orders', 'after': after, 'up_to': raw[0] | string,
        'future_after': held[4] | string if held[4] is not none else none}) -%}
    {%- if counted -%}
        {%- set revalidated = run_query("select count(*) from " ~ staged ~ " where " ~ revalidated_rows(plan)).rows[0][0] -%}
        {%- do plan.update({'reason': revalidated ~ " raw rows of the orders touched since " ~ after ~ " validated again"}) -%}
    {%- endif -%}
    {{ return(plan) }}
{% endmacro %}


{#- The staged rows an 'orders' plan validates: a filter on its staged relation. -#}
{% macro revalidated_rows(plan) %}
    {%- set up_to = "loaded_at <= " ~ timestamp_literal(plan.up_to) -%}
    {%- set new_rows = "loaded_at > " ~ timestamp_literal(plan.after) ~ " and " ~ up_to -%}
    {%- set touched = new_rows ~ (" or ordered_at > " ~ timestamp_literal(plan.future_after) if plan.future_after else "") -%}
    {{- return("(" ~ new_rows ~ ") or ((" ~ up_to ~ " or loaded_at is null) and order_id in (select order_id from "
        ~ plan.staged ~ " where " ~ touched ~ "))") -}}
{% endmacro %}


{#- pre_hook of int_order_lines_flagged: a full validation on an incremental run starts empty
    (an 'orders' run is replaced order by order by delete+insert). -#}
{% macro validation_clear(staged, currency_rates, order_statuses) %}
    {%- if not execute or not is_incremental() -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set plan = validation_plan(staged, currency_rates, order_statuses, counted=false) -%}
    {{ return('delete from ' ~ this if plan.mode == 'full' else 'select 1') }}
{% endmacro %}


{#- A fingerprint (SQL expression) of what the validation rules depend on besides their SQL:
    the seeds they join and the vars they read. Stored on every validated row, so a change makes
    the next incremental run validate everything again. -#}
{% macro validation_rules(currency_rates, order_statuses) %}
    {%- set parts = [] -%}
    {%- for relation, columns in [(currency_rates, ['currency_code', 'usd_per_unit']),
            (order_statuses, ['status_text', 'status', 'earns_revenue'])] -%}
        {%- do parts.append("(select " ~ dbt.concat([dbt.cast("count(*)", dbt.type_string()), "'/'",
            dbt.cast("coalesce(sum(" ~ row_hash(columns) ~ "), 0)", dbt.type_string())]) ~ " from " ~ relation ~ ")") -%}
    {%- endfor -%}
    {%- do parts.append(sql_literal([clv_var('min_order_date'), clv_var('max_line_amount'),
        clv_var('default_currency'), clv_var('source_timezone')] | join('|'))) -%}
    {{- return(dbt.hash(dbt.concat(parts))) -}}
{% endmacro %}
