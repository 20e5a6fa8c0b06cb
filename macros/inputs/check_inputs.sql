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
    {{ return(['orders_path', 'as_of_date', 'min_order_date', 'horizon_days', 'incremental_lookback_days',
        'source_timezone', 'orders_encoding', 'max_line_amount', 'default_currency', 'raw_database',
        'raw_schema', 'raw_orders_table', 'raw_loaded_at_column', 'random_seed', 'xgboost_sample_size',
        'cox_sample_size', 'backtest_sample_size', 'scoring_batch_size', 'btyd_max_fit_rows', 'segmentation_k_min',
        'segmentation_k_max', 'segmentation_sample_size', 'silhouette_sample_size', 'segmentation_features',
        'discount_rate', 'clv_tier_high_share', 'clv_tier_low_share', 'clv_interval_coverage',
        'clv_max_aggregate_error', 'clv_selection_max_aggregate_error', 'clv_gate_severity',
        'marketing_budget', 'max_acquisition_cost_share', 'clv_candidates', 'clv_own_spend_min_frequency', 'cold_start_days',
        'min_backtest_days']) }}
{% endmacro %}


{#- on-run-start: every var, then the raw orders themselves (the file or table exists, has the
    required columns and at least one row). Stops the build before any model runs. Also an
    operation (`dbt run-operation check_inputs --vars ...`): a scheduler or a UI can check what
    a user typed before starting a build. -#}
{% macro check_inputs() %}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'test', 'seed', 'compile', 'show', 'run-operation') -%}
        {{ return('') }}
    {%- endif -%}
    {#- a var this project does not read would be ignored without a word: a typo, or an old name -#}
    {%- set renamed = {'transactions_path': 'orders_path'} -%}
    {%- for name in given_vars() if name not in checked_vars() + ['ml_warehouse'] -%}
        {{ exceptions.raise_compiler_error("var '" ~ name ~ "' is not a var of this project"
            ~ (": it is now '" ~ renamed[name] ~ "'" if name in renamed else " (docs/data.md lists them)")) }}
    {%- endfor -%}
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
        {%- set path = clv_var('orders_path') -%}
        {%- set where = "orders_path " ~ path | tojson -%}
        {#- listed once: the encoding check and the unreadable-line pass read each file -#}
        {%- set files = run_query("select file from glob(" ~ sql_literal(path) ~ ") order by 1").columns[0].values() | list -%}
        {%- if not files -%}
            {{ exceptions.raise_compiler_error(where ~ " matches no file (a relative path starts where dbt runs)") }}
        {%- endif -%}
        {%- do check_text_encoding(path, files) -%}
        {%- set relation = source_node.config.meta.external_location -%}
    {%- else -%}
        {%- set where = "raw orders table " ~ source_node.database ~ "." ~ source_node.schema ~ "." ~ source_node.identifier -%}
        {%- set checked = [clv_var('raw_database') or target.database, clv_var('raw_schema'), clv_var('raw_orders_table')] -%}
        {%- if [source_node.database, source_node.schema, source_node.identifier] != checked -%}
            {#- _shop__sources.yml and raw_location_defaults() disagree: a defect, not an input -#}
            {{ exceptions.raise_compiler_error(where ~ " is not " ~ checked | join(".") ~ ", what the checked vars say") }}
        {%- endif -%}
        {%- set relation = adapter.get_relation(source_node.database, source_node.schema, source_node.identifier) -%}
        {%- if relation is none -%}
            {{ exceptions.raise_compiler_error(where ~ " does not exist (vars raw_database, raw_schema, raw_orders_table,"
                ~ " or the environment's CLV_RAW_DATABASE, CLV_RAW_SCHEMA, CLV_RAW_ORDERS_TABLE)") }}
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
            {{ exceptions.raise_compiler_error("orders_path file " ~ file | tojson ~ " is not UTF-8 text"
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
