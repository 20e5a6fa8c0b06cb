{#- The input contract: every var that reaches SQL is validated here and enters SQL only
    through clv_var() (typed) and sql_literal() (quoted). check_inputs() runs before any model
    (on-run-start) and stops the build with one message that names the problem. -#}


{#- The as_of_date var as a date literal, or null when it is not set. -#}
{% macro as_of_date_var() %}
    {%- if clv_var('as_of_date') -%}
        cast({{ sql_literal(clv_var('as_of_date')) }} as date)
    {%- else -%}
        cast(null as date)
    {%- endif -%}
{% endmacro %}


{#- A var's value as given, never rendered. dbt's var() renders a string value as Jinja at run
    time, so a value holding {{ run_query(...) }} would run SQL: the value passed with --vars
    is read from the invocation's arguments instead; the project's defaults (dbt_project.yml,
    code of this project) through var(). -#}
{% macro raw_var(name) %}
    {%- set given = given_vars() -%}
    {%- if name in given -%}
        {{ return(given[name]) }}
    {%- endif -%}
    {%- set fallback = raw_location_defaults().get(name) -%}
    {%- if fallback and var(name) is none -%}
        {{ return(env_var(fallback[0], '') or fallback[1]) }}
    {%- endif -%}
    {{ return(var(name)) }}
{% endmacro %}


{#- Where the raw orders table is when its vars are null: an environment variable (so a
    scheduled run or a CI job points at its raw data without editing the project), else a
    default (none: the target's database). _shop__sources.yml writes the same (YAML cannot call
    macros); check_inputs stops the build if the two disagree. -#}
{% macro raw_location_defaults() %}
    {{ return({
        'raw_database': ('CLV_RAW_DATABASE', none),
        'raw_schema': ('CLV_RAW_SCHEMA', 'raw'),
        'raw_orders_table': ('CLV_RAW_ORDERS_TABLE', 'orders'),
    }) }}
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
        'cold_start_days': (1, 3650),
        'min_backtest_days': (7, 3650),
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

    {%- elif name == 'orders_path' -%}
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
                or not groups or (groups | reject('in', clv_customer_groups()) | list) -%}
                {%- do wrong.append(model) -%}
            {%- elif entry.get('is_default') -%}
                {%- do defaults.append(model) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if value is not mapping or not value or wrong or defaults | length != 1 -%}
            {%- set problem = 'a mapping of model names (lower-case identifiers) to {groups: [some of repeat, one_time, new],'
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
