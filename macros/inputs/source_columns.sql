{#- Column names (lowercase) that a relation actually has, read at run time.
    Lets staging accept raw orders where optional columns are missing. -#}
{% macro source_columns(relation) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set probe = run_query("select * from " ~ relation ~ " where 1 = 0") -%}
    {{ return(probe.column_names | map("lower") | list) }}
{% endmacro %}


{#- The column as text when the source has it, else a typed null. -#}
{% macro text_column_or_null(column_name, available_columns) %}
    {%- if column_name in available_columns -%}
        {{ trimmed_or_null('cast(' ~ column_name ~ ' as ' ~ dbt.type_string() ~ ')') }}
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{% endmacro %}


{#- Text without surrounding spaces, null when nothing is left. Spaces are the Unicode space
    separators (a no-break space pasted from a spreadsheet too), the set DuckDB's trim removes;
    tabs and line breaks stay. -#}
{% macro trimmed_or_null(text_expression) %}
    {{- return(adapter.dispatch('trimmed_or_null', 'clv')(text_expression)) -}}
{% endmacro %}

{#- Snowflake's trim removes only the blank unless told which characters: named here, by code
    point, so both engines keep the same customers apart. -#}
{% macro default__trimmed_or_null(text_expression) %}
    {%- set space_separators = [32, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201,
        8202, 8239, 8287, 12288] -%}
    nullif(trim(
        {{ text_expression }},
        {% for code_point in space_separators %}chr({{ code_point }}){{ " || " if not loop.last }}{% endfor %}
    ), '')
{%- endmacro %}

{#- DuckDB's trim copies every string (2 s a scan of 10M raw lines), so it
    runs only where it can change something: a first byte at or below a space (or an empty
    string), a trailing space, or any non-ASCII character (trim also strips Unicode spaces;
    strlen counts bytes, length characters). Everything else is returned as it is. -#}
{% macro duckdb__trimmed_or_null(text_expression) %}
    case
        when {{ text_expression }} < '!' or ends_with({{ text_expression }}, ' ')
            or strlen({{ text_expression }}) <> length({{ text_expression }})
            then nullif(trim({{ text_expression }}), '')
        else {{ text_expression }}
    end
{%- endmacro %}


{#- Parse text into a type; unparsable values become null instead of failing the build.
    The input is text because Snowflake's try_cast only accepts text. -#}
{% macro parse_text(text_expression, data_type) %}
    {{- return(adapter.dispatch('parse_text', 'clv')(text_expression, data_type)) -}}
{% endmacro %}

{% macro default__parse_text(text_expression, data_type) %}
    {{- dbt.safe_cast(text_expression, data_type) -}}
{% endmacro %}

{#- Timestamps by explicit formats (timestamp_text_formats), never the session's input format:
    an account's TIMESTAMP_INPUT_FORMAT would otherwise decide what is quarantined. -#}
{% macro snowflake__parse_text(text_expression, data_type) %}
    {%- if data_type | lower not in ['timestamp_ntz', 'timestamp'] -%}
        {{- return(dbt.safe_cast(text_expression, data_type)) -}}
    {%- endif -%}
    {#- one layout: a T or runs of blanks between date and time are one blank, / is - -#}
    {%- set text = "regexp_replace(replace(trim(" ~ text_expression ~ "), '/', '-'), '([0-9])( +|T)([0-9])', '\\\\1 \\\\3')" -%}
    coalesce(
        {%- for format in timestamp_text_formats() %}
        try_to_timestamp_ntz({{ text }}, {{ sql_literal(format) }}){{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- The layouts of a timestamp's date and time that Snowflake parses (after the zone, an offset
    or AM/PM are taken off, a T or blanks between date and time read as one blank and / as -):
    what DuckDB's cast reads of the same text. docs/data.md lists them. -#}
{% macro timestamp_text_formats() %}
    {{ return(['YYYY-MM-DD HH24:MI:SS.FF', 'YYYY-MM-DD HH24:MI:SS', 'YYYY-MM-DD HH24:MI', 'YYYY-MM-DD']) }}
{% endmacro %}

{#- dbt-duckdb does not override dbt.safe_cast, whose default is a plain (failing) cast. -#}
{% macro duckdb__parse_text(text_expression, data_type) %}
    try_cast({{ text_expression }} as {{ data_type }})
{%- endmacro %}


{#- Text to a whole number, or null: '1.5' and 'two' are null, not rounded or defaulted
    (a plain integer cast rounds 1.5 to 2 on both engines). -#}
{% macro parse_whole_number(text_expression) %}
    {%- set number = parse_text(text_expression, 'double') -%}
    case
        when {{ number }} = floor({{ number }}) and abs({{ number }}) < 2147483648
            then cast({{ number }} as {{ dbt.type_int() }})
    end
{%- endmacro %}


{#- The values staging parses from an order line's text, by column, as expressions over the
    text columns named as in stg_shop__order_lines. int_order_lines_flagged parses the few lines
    of its special orders again from their text, after the join that finds them, rather than
    parsing every line before that join. -#}
{% macro order_line_parsed_values() %}
    {{- return({
        'given_line_number': parse_whole_number('line_number_text'),
        'ordered_at': to_utc_timestamp('ordered_at_text'),
        'amount': parse_text('amount_text', 'double'),
        'discount_amount': 'case when discount_amount_text is null then 0 else '
            ~ parse_text('discount_amount_text', 'double') ~ ' end',
        'quantity': 'case when quantity_text is null then 1 else '
            ~ parse_whole_number('quantity_text') ~ ' end',
    }) -}}
{% endmacro %}


{#- Spellings of a missing id that exports write instead of leaving the cell empty (compared in
    lower case). docs/data.md lists them. -#}
{% macro placeholder_ids() %}
    {{ return(['null', 'none', 'nil', 'nan', 'n/a', 'na', '#n/a', '-', '--', 'undefined']) }}
{% endmacro %}


{#- An id column as text: zero-width characters (U+200B-U+200D, U+2060, U+FEFF) removed
    anywhere, then surrounding spaces trimmed (blank is null). An invisible character never
    makes a second customer. -#}
{% macro id_column_or_null(column_name, available_columns) %}
    {%- if column_name not in available_columns -%}
        {{ return('cast(null as ' ~ dbt.type_string() ~ ')') }}
    {%- endif -%}
    {{ return(trimmed_or_null(without_zero_width('cast(' ~ column_name ~ ' as ' ~ dbt.type_string() ~ ')'))) }}
{% endmacro %}


{#- Null where an id is a placeholder spelling (placeholder_ids), else the id. -#}
{% macro placeholder_to_null(id_expression) %}
    {%- set spellings = [] -%}
    {%- for spelling in placeholder_ids() -%}
        {%- do spellings.append(sql_literal(spelling)) -%}
    {%- endfor -%}
    case when lower({{ id_expression }}) in ({{ spellings | join(', ') }}) then null else {{ id_expression }} end
{%- endmacro %}


{% macro without_zero_width(text_expression) %}
    {{- return(adapter.dispatch('without_zero_width', 'clv')(text_expression)) -}}
{% endmacro %}

{% macro default__without_zero_width(text_expression) %}
    {%- set code_points = [8203, 8204, 8205, 8288, 65279] -%}
    {{ "replace(" * code_points | length }}{{ text_expression }}
    {%- for code_point in code_points %}, chr({{ code_point }}), ''){% endfor %}
{%- endmacro %}

{#- Only text with a non-ASCII character can hold one (strlen counts bytes, length characters). -#}
{% macro duckdb__without_zero_width(text_expression) %}
    case
        when strlen({{ text_expression }}) <> length({{ text_expression }})
            then {{ default__without_zero_width(text_expression) }}
        else {{ text_expression }}
    end
{%- endmacro %}


{#- Files of a Parquet glob whose column is a naive timestamp while other files hold it with a
    time zone. DuckDB reads such a glob as one timestamptz column, the naive values as if they
    were UTC; staging reads them again as local time in source_timezone. Empty elsewhere. -#}
{#- The text of a timestamp column, with the '+00' DuckDB wrote after the naive values of the
    files named cut off, so they read as local time. -#}
{% macro naive_as_local_text(text_expression, naive_files) %}
    {%- if not naive_files -%}
        {{ return(text_expression) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for file in naive_files -%}
        {%- do names.append(sql_literal(file)) -%}
    {%- endfor -%}
    {{ return("case when " ~ source_file_column() ~ " in (" ~ names | join(", ") ~ ") then regexp_replace("
        ~ text_expression ~ ", '[+]00$', '') else " ~ text_expression ~ " end") }}
{% endmacro %}


{% macro naive_timestamp_files(column_name) %}
    {{- return(adapter.dispatch('naive_timestamp_files', 'clv')(column_name)) -}}
{% endmacro %}

{% macro default__naive_timestamp_files(column_name) %}
    {{ return([]) }}
{% endmacro %}

{% macro duckdb__naive_timestamp_files(column_name) %}
    {%- set path = clv_var('orders_path') -%}
    {%- if not execute or orders_file_format(path) != 'parquet' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set kinds = run_query(
        "select file_name, case when logical_type like '%isAdjustedToUTC=1%' then 'aware'"
        ~ " when type = 'INT96' or logical_type like '%isAdjustedToUTC=0%' then 'naive' end"
        ~ " from parquet_schema(" ~ sql_literal(path) ~ ") where lower(name) = " ~ sql_literal(column_name)).rows -%}
    {%- set naive, aware = [], [] -%}
    {%- for file_name, kind in kinds -%}
        {%- do (naive if kind == 'naive' else aware).append(file_name) if kind -%}
    {%- endfor -%}
    {{ return(naive if aware else []) }}
{% endmacro %}


{#- The column DuckDB adds to the raw rows with each row's file name (read_csv / read_parquet
    filename option, set in _shop__sources.yml); not a column of the data. -#}
{% macro source_file_column() %}{{ return('_clv_source_file') }}{% endmacro %}


{#- A whole number's text without a float's zero decimals: '42.0' -> '42' (other text as it is). -#}
{% macro whole_number_text(text_expression) %}
    case
        when {{ text_expression }} like '%.%' then {{ dbt.split_part(text_expression, "'.'", 1) }}
        else {{ text_expression }}
    end
{%- endmacro %}


{#- The shape of shop.orders_unreadable with no rows, where raw orders are a warehouse table. -#}
{% macro no_unreadable_lines() %}
    {%- set text = dbt.type_string() -%}
    {{ return("(select cast(null as " ~ text ~ ") as source_file, cast(null as " ~ dbt.type_bigint() ~ ") as file_line,"
        ~ " cast(null as " ~ text ~ ") as reader_error, cast(null as " ~ text ~ ") as raw_line where 1 = 0)") }}
{% endmacro %}
