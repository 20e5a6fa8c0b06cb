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


{#- Text to a UTC timestamp (no time zone). A trailing offset (Z, +02, -05:00, +0530) is
    honoured; text without one is local time in the `source_timezone` var. Never depends on
    the session's time zone. Null where the text does not parse. -#}
{% macro to_utc_timestamp(text_expression) %}
    {{- return(adapter.dispatch('to_utc_timestamp', 'clv')(text_expression, clv_var('source_timezone'))) -}}
{% endmacro %}

{%- macro utc_offset_pattern() -%}
    [0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? *([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$
{%- endmacro -%}

{% macro duckdb__to_utc_timestamp(text_expression, source_timezone) %}
    case
        when regexp_matches({{ text_expression }}, '{{ utc_offset_pattern() }}')
            then timezone('UTC', try_cast({{ text_expression }} as timestamptz))
        {%- if source_timezone == 'UTC' %}
        else try_cast({{ text_expression }} as timestamp)
        {%- else %}
        else timezone('UTC', timezone({{ sql_literal(source_timezone) }}, try_cast({{ text_expression }} as timestamp)))
        {%- endif %}
    end
{%- endmacro %}

{% macro snowflake__to_utc_timestamp(text_expression, source_timezone) %}
    case
        when regexp_like({{ text_expression }}, '.*{{ utc_offset_pattern() }}')
            then cast(convert_timezone('UTC', try_cast({{ text_expression }} as timestamp_tz)) as timestamp_ntz)
        else convert_timezone({{ sql_literal(source_timezone) }}, 'UTC', try_cast({{ text_expression }} as timestamp_ntz))
    end
{%- endmacro %}
