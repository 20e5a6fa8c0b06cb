{#- The input contract: every var that reaches SQL is validated here and enters SQL only
    through clv_var() (typed) and sql_literal() (quoted). check_inputs() runs before any model
    (on-run-start) and stops the build with one message that names the problem. -#}

{#- A var's value as given, never rendered. dbt's var() renders a string value as Jinja at run
    time, so a value holding {{ run_query(...) }} would run SQL: the value passed with --vars
    is read from the invocation's arguments instead; the project's defaults (dbt_project.yml,
    code of this project) through var(). -#}
{% macro raw_var(name) %}
    {%- set given = given_vars() -%}
    {%- if name in given -%}
        {{ return(given[name]) }}
    {%- endif -%}
    {{ return(var(name)) }}
{% endmacro %}


{#- The vars given with --vars, as a mapping (empty when none), never rendered. -#}
{% macro given_vars() %}
    {%- set given = invocation_args_dict.get('vars') if invocation_args_dict is mapping else none -%}
    {%- if given is string -%}
        {%- set given = fromyaml(given) -%}
    {%- endif -%}
    {{ return(given if given is mapping else {}) }}
{% endmacro %}


{#- Template markers that no var value may hold (a value is data, never code). -#}
{% macro holds_template_marker(value) %}
    {%- if value is string -%}
        {%- set markers = ['{' ~ '{', '{' ~ '%', '{' ~ '#'] -%}
        {{ return(markers | select('in', value) | list | length > 0) }}
    {%- elif value is mapping or (value is iterable and value is not string) -%}
        {%- for item in (value.values() if value is mapping else value) if holds_template_marker(item) -%}
            {{ return(true) }}
        {%- endfor -%}
    {%- endif -%}
    {{ return(false) }}
{% endmacro %}


{#- A var's value, checked and typed; a compiler error names the var, its value and what is
    expected. -#}
{% macro clv_var(name) %}
    {%- set value = raw_var(name) -%}
    {%- set re = modules.re -%}
    {%- if holds_template_marker(value) -%}
        {{ exceptions.raise_compiler_error("var '" ~ name ~ "' holds a template marker ({" ~ "{, {" ~ "% or {" ~ "#): var values are data,"
            ~ " never rendered or run; remove it") }}
    {%- endif -%}
    {%- set date_vars = ['as_of_date', 'min_order_date'] -%}
    {%- set int_ranges = {
        'horizon_days': (7, 3650),
        'incremental_lookback_days': (0, 3650),
        'random_seed': (0, 2147483647),
        'xgboost_sample_size': (100, 100000000),
        'cox_sample_size': (100, 100000000),
        'backtest_sample_size': (100, 100000000),
        'scoring_batch_size': (1000, 10000000),
        'btyd_max_fit_rows': (0, 100000000),
        'segmentation_k_min': (1, 50),
        'segmentation_k_max': (1, 50),
        'segmentation_sample_size': (10, 100000000),
        'silhouette_sample_size': (10, 100000000),
        'clv_own_spend_min_frequency': (1, 1000),
    } -%}
    {%- set share_vars = ['discount_rate', 'clv_tier_high_share', 'clv_tier_low_share',
        'clv_interval_coverage', 'clv_max_aggregate_error', 'clv_selection_max_aggregate_error',
        'max_acquisition_cost_share'] -%}
    {%- set amount_vars = ['max_line_amount', 'marketing_budget'] -%}
    {%- set identifier_vars = ['raw_database', 'raw_schema', 'raw_orders_table', 'raw_loaded_at_column'] -%}
    {%- set problem = none -%}

    {%- if name in date_vars -%}
        {%- if value is none and name == 'as_of_date' -%}
            {{ return(none) }}
        {%- endif -%}
        {%- set text = value | string | trim -%}
        {%- if not re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
            {%- set problem = 'a date written YYYY-MM-DD' -%}
        {%- else -%}
            {%- set year, month, day = text[:4] | int, text[5:7] | int, text[8:10] | int -%}
            {%- set leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) -%}
            {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
            {%- if not (1 <= month <= 12 and 1 <= day <= month_days[month - 1]) -%}
                {%- set problem = 'a real calendar date YYYY-MM-DD' -%}
            {%- else -%}
                {{ return(text) }}
            {%- endif -%}
        {%- endif -%}

    {%- elif name in int_ranges -%}
        {%- set low, high = int_ranges[name] -%}
        {%- set text = value | string | trim -%}
        {%- if value is boolean or not re.fullmatch('[0-9]+', text) or not (low <= text | int <= high) -%}
            {%- set problem = 'a whole number from ' ~ low ~ ' to ' ~ high -%}
        {%- else -%}
            {{ return(text | int) }}
        {%- endif -%}

    {%- elif name in share_vars or name in amount_vars -%}
        {%- set text = value | string | trim -%}
        {%- set number = text | float(-1) -%}
        {%- set is_number = value is not boolean and re.fullmatch('[0-9]+([.][0-9]*)?([eE][+-]?[0-9]+)?', text) -%}
        {#- max_line_amount: money sums take values of at most 12 integer digits (sum_money) -#}
        {%- set most = '1e9' if name == 'max_line_amount' else '1e12' -%}
        {%- if name in amount_vars and not (is_number and 0 < number <= most | float) -%}
            {%- set problem = 'a positive amount in US dollars, at most ' ~ most -%}
        {%- elif name not in amount_vars and not (is_number and 0 <= number < 1) -%}
            {%- set problem = 'a fraction from 0 to below 1' -%}
        {%- else -%}
            {{ return(number) }}
        {%- endif -%}

    {%- elif name in identifier_vars -%}
        {%- if value is none and name in ['raw_database', 'raw_loaded_at_column'] -%}
            {{ return(none) }}
        {%- endif -%}
        {%- if not re.fullmatch('[A-Za-z_][A-Za-z0-9_$]*', value | string) -%}
            {%- set problem = 'a plain identifier (letters, digits, _ and $)' -%}
        {%- else -%}
            {{ return(value | string) }}
        {%- endif -%}

    {%- elif name == 'default_currency' -%}
        {%- if not re.fullmatch('[A-Za-z]{3}', value | string) -%}
            {%- set problem = 'a three-letter ISO currency code' -%}
        {%- else -%}
            {{ return(value | string | upper) }}
        {%- endif -%}

    {%- elif name == 'source_timezone' -%}
        {%- if (value | string) not in modules.pytz.all_timezones_set -%}
            {%- set problem = "an IANA time zone name such as 'UTC' or 'Europe/Berlin'" -%}
        {%- else -%}
            {{ return(value | string) }}
        {%- endif -%}

    {%- elif name == 'orders_encoding' -%}
        {#- Excel's default on Windows has two names; DuckDB knows it as windows-1252 -#}
        {%- set spellings = {'utf-8': 'utf-8', 'utf-16': 'utf-16', 'latin-1': 'latin-1', 'windows-1252': 'windows-1252',
            'cp1252': 'windows-1252'} -%}
        {%- if (value | string | lower) not in spellings -%}
            {%- set problem = 'one of utf-8, utf-16, latin-1, windows-1252 (cp1252)' -%}
        {%- else -%}
            {{ return(spellings[value | string | lower]) }}
        {%- endif -%}

    {%- elif name == 'clv_gate_severity' -%}
        {%- if (value | string | lower) not in ['warn', 'error'] -%}
            {%- set problem = 'warn or error' -%}
        {%- else -%}
            {{ return(value | string | lower) }}
        {%- endif -%}

    {%- elif name == 'transactions_path' -%}
        {%- set text = value | string -%}
        {%- if orders_file_format(text) is none -%}
            {%- set problem = 'a file or glob ending in .csv, .tsv, .txt or .parquet (any case, .gz allowed for text)' -%}
        {%- else -%}
            {{ return(text) }}
        {%- endif -%}

    {%- elif name == 'segmentation_features' -%}
        {%- set allowed = ['days_since_last_order', 'frequency', 'recency_days', 't_days', 'total_net_revenue',
            'monetary_value', 'avg_order_value', 'discount_share', 'order_count', 'return_share'] -%}
        {%- if value is string or value is not iterable or not value or (value | reject('in', allowed) | list) -%}
            {%- set problem = 'a list of customer_rfm columns from: ' ~ allowed | join(', ') -%}
        {%- else -%}
            {{ return(value | list) }}
        {%- endif -%}

    {%- elif name == 'clv_candidates' -%}
        {#- the model catalogue: names are identifiers (they name columns), groups from the two,
            exactly one default -#}
        {%- set wrong = [] -%}
        {%- set defaults = [] -%}
        {%- for model, entry in (value.items() if value is mapping else []) -%}
            {%- set groups = entry.get('groups') if entry is mapping else none -%}
            {%- if not re.fullmatch('[a-z][a-z0-9_]*', model | string) or groups is string or groups is not iterable
                or not groups or (groups | reject('in', ['repeat', 'one_time']) | list) -%}
                {%- do wrong.append(model) -%}
            {%- elif entry.get('is_default') -%}
                {%- do defaults.append(model) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if value is not mapping or not value or wrong or defaults | length != 1 -%}
            {%- set problem = 'a mapping of model names (lower-case identifiers) to {groups: [repeat and/or one_time],'
                ~ ' predicts_purchases, is_baseline, is_default, label}, exactly one the default'
                ~ (' (not so: ' ~ wrong | join(', ') ~ ')' if wrong else '') -%}
        {%- else -%}
            {{ return(value) }}
        {%- endif -%}

    {%- else -%}
        {{ exceptions.raise_compiler_error("clv_var: no rule for var '" ~ name ~ "'") }}
    {%- endif -%}

    {%- set shown = value | tojson if value is none or value is number or value is string else value | string -%}
    {{ exceptions.raise_compiler_error("var '" ~ name ~ "' is " ~ shown ~ ": expected " ~ problem) }}
{% endmacro %}


{#- Text as a SQL string literal (quotes doubled): how any text input enters SQL. -#}
{% macro sql_literal(text) %}
    {{- "'" ~ (text | string | replace("'", "''")) ~ "'" -}}
{% endmacro %}


{#- 'csv' or 'parquet' from a path's extension in any case (compressed text allowed), else none. -#}
{% macro orders_file_format(path) %}
    {%- set lowered = path | lower -%}
    {%- set text = lowered[:-3] if lowered.endswith('.gz') else (lowered[:-4] if lowered.endswith('.zst') else lowered) -%}
    {%- if lowered.endswith('.parquet') -%}
        {{ return('parquet') }}
    {%- elif text.endswith(('.csv', '.tsv', '.txt')) -%}
        {{ return('csv') }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}


{#- Columns the raw orders must have, and the vars every build reads. -#}
{% macro required_order_columns() %}
    {{ return(['order_id', 'customer_id', 'ordered_at', 'amount']) }}
{% endmacro %}

{% macro checked_vars() %}
    {{ return(['transactions_path', 'as_of_date', 'min_order_date', 'horizon_days', 'incremental_lookback_days',
        'source_timezone', 'orders_encoding', 'max_line_amount', 'default_currency', 'raw_database',
        'raw_schema', 'raw_orders_table', 'raw_loaded_at_column', 'random_seed', 'xgboost_sample_size',
        'cox_sample_size', 'backtest_sample_size', 'scoring_batch_size', 'btyd_max_fit_rows', 'segmentation_k_min',
        'segmentation_k_max', 'segmentation_sample_size', 'silhouette_sample_size', 'segmentation_features',
        'discount_rate', 'clv_tier_high_share', 'clv_tier_low_share', 'clv_interval_coverage',
        'clv_max_aggregate_error', 'clv_selection_max_aggregate_error', 'clv_gate_severity',
        'marketing_budget', 'max_acquisition_cost_share', 'clv_candidates', 'clv_own_spend_min_frequency']) }}
{% endmacro %}


{#- on-run-start: every var, then the raw orders themselves (the file or table exists, has the
    required columns and at least one row). Stops the build before any model runs. Also an
    operation (`dbt run-operation check_inputs --vars ...`): a scheduler or a UI can check what
    a user typed before starting a build. -#}
{% macro check_inputs() %}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'test', 'seed', 'compile', 'show', 'run-operation') -%}
        {{ return('') }}
    {%- endif -%}
    {%- for name in checked_vars() -%}
        {%- do clv_var(name) -%}
    {%- endfor -%}
    {%- if clv_var('segmentation_k_min') > clv_var('segmentation_k_max') -%}
        {{ exceptions.raise_compiler_error("var 'segmentation_k_min' is above 'segmentation_k_max'") }}
    {%- endif -%}
    {%- for fit_sample in ['xgboost_sample_size', 'cox_sample_size'] -%}
        {%- if clv_var('backtest_sample_size') < clv_var(fit_sample) -%}
            {{ exceptions.raise_compiler_error("var 'backtest_sample_size' (" ~ clv_var('backtest_sample_size')
                ~ ") is below '" ~ fit_sample ~ "' (" ~ clv_var(fit_sample) ~ "): the fit samples are drawn from"
                ~ " the backtest's snapshots, so it must be at least as large") }}
        {%- endif -%}
    {%- endfor -%}
    {%- if flags.WHICH == 'seed' -%}
        {{ return('') }}
    {%- endif -%}

    {%- set source_node = graph.sources['source.' ~ project_name ~ '.shop.orders'] -%}
    {%- if target.type == 'duckdb' -%}
        {%- set path = clv_var('transactions_path') -%}
        {%- set where = "transactions_path " ~ path | tojson -%}
        {#- listed once: the encoding check and the unreadable-line pass read each file -#}
        {%- set files = run_query("select file from glob(" ~ sql_literal(path) ~ ") order by 1").columns[0].values() | list -%}
        {%- if not files -%}
            {{ exceptions.raise_compiler_error(where ~ " matches no file (a relative path starts where dbt runs)") }}
        {%- endif -%}
        {%- do check_text_encoding(path, files) -%}
        {%- set relation = source_node.config.meta.external_location -%}
    {%- else -%}
        {%- set relation = adapter.get_relation(source_node.database, source_node.schema, source_node.identifier) -%}
        {%- set where = "raw orders table " ~ source_node.database ~ "." ~ source_node.schema ~ "." ~ source_node.identifier -%}
        {%- if relation is none -%}
            {{ exceptions.raise_compiler_error(where ~ " does not exist (vars raw_database, raw_schema, raw_orders_table)") }}
        {%- endif -%}
    {%- endif -%}

    {%- set probe = run_query("select * from " ~ relation ~ " limit 1") -%}
    {%- set found = probe.column_names | map('lower') | reject('equalto', source_file_column()) | list -%}
    {%- if found == ['column0'] -%}
        {{ exceptions.raise_compiler_error(where ~ " is empty: no header line and no rows") }}
    {%- endif -%}
    {%- set missing = required_order_columns() | reject('in', found) | list -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(where ~ " lacks required column(s) " ~ missing | join(', ')
            ~ "; found: " ~ found | join(', ')
            ~ (" (one column only: is the delimiter unusual? DuckDB sniffs , ; | and tab)" if found | length == 1 else "")) }}
    {%- endif -%}
    {%- set loaded_at = clv_var('raw_loaded_at_column') -%}
    {%- if loaded_at and (loaded_at | lower) not in found -%}
        {{ exceptions.raise_compiler_error(where ~ " has no column " ~ loaded_at ~ " (var raw_loaded_at_column); found: "
            ~ found | join(', ')) }}
    {%- endif -%}
    {%- if probe.rows | length == 0 -%}
        {{ exceptions.raise_compiler_error(where ~ " has a header but no rows; columns found: " ~ found | join(', ')) }}
    {%- endif -%}
    {%- if target.type == 'duckdb' and flags.WHICH != 'run-operation' -%}
        {%- do collect_unreadable_lines(path, files) -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}


{#- DuckDB: the CSV lines of the orders files that the reader cannot place (too many or too few
    fields, broken quoting), one row each, into the source table shop.orders_unreadable. The
    orders source skips them (ignore_errors), staging reads them from here and quarantines them
    as unreadable_line: nothing is lost and nothing is read shifted. One pass per file (DuckDB
    keeps a reader's rejected lines only for a single-file read); empty for Parquet. -#}
{% macro collect_unreadable_lines(path, files) %}
    {%- set node = graph.sources['source.' ~ project_name ~ '.shop.orders_unreadable'] -%}
    {%- set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.identifier) -%}
    {%- do run_query("create schema if not exists " ~ relation.without_identifier()) -%}
    {%- do run_query("create or replace table " ~ relation ~ " (source_file varchar, file_line bigint,"
        ~ " reader_error varchar, raw_line varchar)") -%}
    {%- if orders_file_format(path) != 'csv' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set encoding = clv_var('orders_encoding') -%}
    {%- for file in files -%}
        {%- do run_query("drop table if exists clv_reject_errors") -%}
        {%- do run_query("drop table if exists clv_reject_scans") -%}
        {%- do run_query("select count(*) from read_csv(" ~ sql_literal(file) ~ ", all_varchar = true, header = true,"
            ~ " ignore_errors = true, store_rejects = true, rejects_table = 'clv_reject_errors',"
            ~ " rejects_scan = 'clv_reject_scans', encoding = " ~ sql_literal(encoding) ~ ")") -%}
        {%- do run_query("insert into " ~ relation ~ " select " ~ sql_literal(file) ~ ", line, min(cast(error_type as varchar)),"
            ~ " min(csv_line) from clv_reject_errors group by line") -%}
    {%- endfor -%}
{% endmacro %}


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


{#- DuckDB: each CSV file of the path is text in orders_encoding, or the build stops naming the
    var. The reader would stop on the first bad byte with its own words (or, skipping lines
    it cannot place, skip such a line without recording it), so each uncompressed UTF-8 file is
    checked whole first (read into memory once). -#}
{% macro check_text_encoding(path, files) %}
    {%- set encoding = clv_var('orders_encoding') -%}
    {%- if orders_file_format(path) != 'csv' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if encoding == 'windows-1252' -%}
        {%- do load_encodings_extension() -%}
    {%- endif -%}
    {%- if encoding != 'utf-8' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for file in files if not (file | lower).endswith(('.gz', '.zst')) -%}
        {%- if run_query("select try(decode(content)) is null from read_blob(" ~ sql_literal(file) ~ ")").columns[0].values()[0] -%}
            {{ exceptions.raise_compiler_error("transactions_path file " ~ file | tojson ~ " is not UTF-8 text"
                ~ " (bytes such as Windows-1252's euro sign or curly quotes): set the var orders_encoding"
                ~ " (windows-1252 for Excel's CSV on Windows, latin-1, utf-16)") }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}


{#- DuckDB reads windows-1252 only with its encodings extension, which is downloaded once. -#}
{% macro load_encodings_extension() %}
    {%- set state = run_query("select installed, loaded from duckdb_extensions() where extension_name = 'encodings'").rows -%}
    {%- if not state or not state[0][0] -%}
        {{ exceptions.raise_compiler_error("orders_encoding windows-1252 needs DuckDB's encodings extension, which is not"
            ~ " installed here: install it once with network access (.venv/bin/python -c \"import duckdb;"
            ~ " duckdb.sql('INSTALL encodings')\"), or convert the file to UTF-8 (iconv -f windows-1252 -t utf-8)") }}
    {%- endif -%}
    {%- if not state[0][1] -%}
        {%- do run_query("load encodings") -%}
    {%- endif -%}
{% endmacro %}
