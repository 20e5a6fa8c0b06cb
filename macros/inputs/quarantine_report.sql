{#- on-run-end: how much of the raw input was quarantined, by reason, after every build (from
    the validation table itself when the build stopped before the quarantine table). -#}
{% macro report_quarantine(results) %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set ran = results | map(attribute='node.name') | list -%}
    {%- set rejected_built = results | selectattr('node.name', 'equalto', 'int_order_lines_rejected')
        | selectattr('status', 'equalto', 'success') | list -%}
    {%- set flagged = model_relation('int_order_lines_flagged') -%}
    {%- if not (rejected_built or ('int_order_lines_flagged' in ran and flagged is not none)) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set quarantine = model_relation('int_order_lines_rejected') if rejected_built else flagged -%}
    {%- set counts = run_query(
        "select reject_reason, count(*) from " ~ quarantine ~ " where reject_reason is not null group by 1 order by 2 desc, 1"
    ) -%}
    {%- set raw_rows = run_query("select count(*) from " ~ flagged).columns[0].values()[0] -%}
    {%- set quarantined = counts.columns[1].values() | sum -%}
    {%- set share = (100.0 * quarantined / raw_rows) if raw_rows else 0 -%}
    {%- set parts = [] -%}
    {%- for row in counts.rows -%}
        {%- do parts.append(row[0] ~ " " ~ row[1]) -%}
    {%- endfor -%}
    {{ log("Quarantine: " ~ quarantined ~ " of " ~ raw_rows ~ " raw rows (" ~ "%.2f" | format(share) ~ "%)"
        ~ (": " ~ parts | join(", ") if parts else "") ~ ". Rows: " ~ quarantine.schema ~ "." ~ quarantine.identifier,
        info=true) }}
    {{ return('') }}
{% endmacro %}


{#- The relation a model of this project was built as (for hooks, where ref() cannot be used). -#}
{% macro model_relation(model_name) %}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
    {{ return(adapter.get_relation(node.database, node.schema, node.alias)) }}
{% endmacro %}


{#- post_hook of int_order_lines_flagged (outside the transaction, so the table stays to be
    looked at): when no raw row is kept (on or before as_of_date), stop with one message that
    names the share, the top reasons with an example value each and what fixes them. -#}
{% macro stop_if_nothing_kept() %}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set as_of = clv_var('as_of_date') -%}
    {%- set in_time = "order_date <= cast(" ~ sql_literal(as_of) ~ " as date)" if as_of else "true" -%}
    {%- set counts = run_query("select count(*), count(case when reject_reason is null and " ~ in_time
        ~ " then 1 end), count(case when reject_reason is null then 1 end) from " ~ this).rows[0] -%}
    {%- if counts[0] == 0 or counts[1] > 0 -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- if counts[2] > 0 -%}
        {{ exceptions.raise_compiler_error("All " ~ counts[2] ~ " valid raw rows are after as_of_date " ~ as_of
            ~ " (var as_of_date): nothing is left to model. Set as_of_date on or after the first order date.") }}
    {%- endif -%}
    {%- set examples = [] -%}
    {%- set reasons = run_query("select reject_reason, count(*) from " ~ this ~ " group by 1 order by 2 desc, 1 limit 3").rows -%}
    {%- for reason, rows in reasons -%}
        {%- set shown = reject_example(reason, this) -%}
        {%- do examples.append(reason ~ " " ~ rows ~ (" (e.g. " ~ shown | tojson ~ ")" if shown is not none else "")
            ~ ": " ~ reject_hint(reason, shown)) -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("All " ~ counts[0] ~ " raw rows (100%) were quarantined: nothing is left to model. "
        ~ examples | join("; ") ~ ". Rows: " ~ this.schema ~ "." ~ this.identifier ~ " (reject_reason).") }}
{% endmacro %}


{#- One raw value of a quarantined row that shows why (the column the reason judges). -#}
{% macro reject_example(reason, relation) %}
    {%- set columns = {
        'unparsable_ordered_at': 'ordered_at_text', 'implausible_ordered_at': 'ordered_at_text',
        'future_ordered_at': 'ordered_at_text', 'invalid_amount': 'amount_text', 'non_finite_amount': 'amount_text',
        'implausible_amount': 'amount_text', 'unknown_currency': 'currency', 'invalid_discount': 'discount_amount_text',
        'invalid_quantity': 'quantity_text', 'invalid_line_number': 'line_number_text', 'unknown_status': 'status_text',
    } -%}
    {%- if reason not in columns -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query("select min(" ~ columns[reason] ~ ") from " ~ relation ~ " where reject_reason = "
        ~ sql_literal(reason)).rows -%}
    {{ return(rows[0][0] if rows else none) }}
{% endmacro %}


{#- What fixes the rows of a reason, judged from an example value. -#}
{% macro reject_hint(reason, example) %}
    {%- set re = modules.re -%}
    {%- set text = example | string if example is not none else '' -%}
    {%- if reason == 'invalid_amount' and re.search('[$€£¥]', text) -%}
        {{ return("amounts must be plain numbers: drop the currency symbol (a currency column names the currency)") }}
    {%- elif reason == 'invalid_amount' and re.fullmatch('-?[0-9.]*,[0-9]{1,2}', text) -%}
        {{ return("amounts are read with a decimal point, not a decimal comma: export them as 12.50") }}
    {%- elif reason == 'invalid_amount' -%}
        {{ return("amounts must be plain numbers such as 12.50 or -3") }}
    {%- elif reason == 'unparsable_ordered_at' and re.fullmatch('[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}.*', text) -%}
        {{ return("day/month/year orders are ambiguous and not read: export dates as YYYY-MM-DD") }}
    {%- elif reason == 'unparsable_ordered_at' -%}
        {{ return("timestamps are read as YYYY-MM-DD[ HH:MM[:SS]] with an optional offset, AM/PM or zone (docs/data.md, Time)") }}
    {%- elif reason in ('future_ordered_at', 'implausible_ordered_at') -%}
        {{ return("check the dates, the var min_order_date and the var source_timezone") }}
    {%- elif reason == 'implausible_amount' -%}
        {{ return("raise the var max_line_amount if such lines are real (amounts in cents?)") }}
    {%- elif reason == 'unknown_currency' -%}
        {{ return("add the currency to seeds/currency_rates.csv, or set the var default_currency") }}
    {%- elif reason == 'unknown_status' -%}
        {{ return("add the spelling to seeds/order_statuses.csv") }}
    {%- elif reason in ('missing_order_id', 'missing_customer_id') -%}
        {{ return("the columns order_id and customer_id must hold ids (any case of the column names)") }}
    {%- elif reason == 'unreadable_line' -%}
        {{ return("lines have more or fewer fields than the header: quote values that hold the delimiter, or check the delimiter (raw_line shows them)") }}
    {%- endif -%}
    {{ return("docs/data.md lists what each rule expects") }}
{% endmacro %}
