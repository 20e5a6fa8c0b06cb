{#- Text to a UTC timestamp (no time zone), never dropping part of the text: a trailing UTC
    offset (Z, +02, -05:00, +0530), a 12-hour clock (AM/PM in any case, a.m./p.m.) and a
    trailing zone (UTC/GMT, an IANA name such as America/New_York, an abbreviation of
    time_zone_abbreviations()) are honoured; text without a zone is local time in the
    `source_timezone` var. Text with anything else after the time is null (quarantined as
    unparsable_ordered_at). Never depends on the session's time zone.

    Three routes, so that the common text costs one regular expression: plain ISO text
    (`2024-05-01 22:30:00`), text ending in an offset, and the rest (zones, AM/PM, other
    separators), taken apart by local_timestamp_parts(). -#}
{% macro to_utc_timestamp(text_expression) %}
    {%- set source_timezone = clv_var('source_timezone') -%}
    {%- set plain = parse_text(text_expression, utc_timestamp_type()) -%}
    case
        when {{ matches_fully(text_expression, plain_timestamp_pattern()) }}
            then {{ local_to_utc(plain, sql_literal(source_timezone)) if source_timezone != 'UTC' else plain }}
        when {{ matches_fully(text_expression, '.*' ~ utc_offset_pattern()) }}
            then {{ offset_text_to_utc(text_expression) }}
        else {{ zoned_text_to_utc(text_expression, source_timezone) }}
    end
{%- endmacro %}

{#- ISO date with an optional time, nothing after it. -#}
{%- macro plain_timestamp_pattern() -%}
    [0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?
{%- endmacro -%}

{#- A time followed by an offset (any digits after the sign: what does not parse is null), or
    by Z written against it (a Z after a space is a zone word). -#}
{%- macro utc_offset_pattern() -%}
    [0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?([zZ]| *[+-][0-9][0-9:]*)
{%- endmacro -%}

{#- The rest: a body of date and time without letters (a T between date and time allowed),
    an optional AM/PM, an optional zone word. Groups: 1 body, 4 the meridiem's letter, 6 zone. -#}
{%- macro zoned_timestamp_pattern() -%}
    ([^A-Za-z]*([0-9][Tt][0-9][^A-Za-z]*)?)( ?([AaPp])[.]?[Mm][.]?)?( +([A-Za-z][A-Za-z0-9_/+-]*))?
{%- endmacro -%}


{#- Time zone abbreviations read as fixed offsets (minutes east of UTC). Only unambiguous ones:
    CST (US Central, China, Cuba), IST (India, Ireland, Israel), BST (British Summer,
    Bangladesh) and AST (Atlantic, Arabia) are not here, so text with them is quarantined.
    docs/data.md shows this table; add yours here. -#}
{% macro time_zone_abbreviations() %}
    {{ return({
        'UTC': 0, 'GMT': 0, 'UT': 0, 'Z': 0, 'WET': 0, 'WEST': 60, 'CET': 60, 'CEST': 120,
        'EET': 120, 'EEST': 180, 'MSK': 180, 'EST': -300, 'EDT': -240, 'CDT': -300,
        'MST': -420, 'MDT': -360, 'PST': -480, 'PDT': -420, 'AKST': -540, 'AKDT': -480,
        'HST': -600, 'JST': 540, 'KST': 540, 'SGT': 480, 'HKT': 480, 'AWST': 480,
        'ACST': 570, 'ACDT': 630, 'AEST': 600, 'AEDT': 660, 'NZST': 720, 'NZDT': 780,
    }) }}
{% endmacro %}


{#- Text ending in a UTC offset to UTC. -#}
{% macro offset_text_to_utc(text_expression) %}
    {{- return(adapter.dispatch('offset_text_to_utc', 'clv')(text_expression)) -}}
{% endmacro %}

{% macro duckdb__offset_text_to_utc(text_expression) %}
    timezone('UTC', try_cast({{ text_expression }} as timestamptz))
{%- endmacro %}

{#- The time before the offset by explicit formats (parse_text), the offset taken apart here: Z,
    +HH, +HHMM or +HH:MM written against the time (what DuckDB reads); anything else is null. -#}
{% macro snowflake__offset_text_to_utc(text_expression) %}
    {%- set pattern = '(.*[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)([zZ]|([+-])([0-9]{2})(:?([0-9]{2}))?)' -%}
    {%- set sign = regexp_group(text_expression, pattern, 5) -%}
    {%- set minutes = "(" ~ dbt.cast(regexp_group(text_expression, pattern, 6), dbt.type_int()) ~ " * 60 + coalesce("
        ~ dbt.cast(regexp_group(text_expression, pattern, 8), dbt.type_int()) ~ ", 0))" -%}
    case
        when upper({{ regexp_group(text_expression, pattern, 4) }}) = 'Z'
            then {{ parse_text(regexp_group(text_expression, pattern, 1), 'timestamp_ntz') }}
        when {{ sign }} is not null
            then {{ dbt.dateadd('minute', "case when " ~ sign ~ " = '+' then -1 else 1 end * " ~ minutes,
                parse_text(regexp_group(text_expression, pattern, 1), 'timestamp_ntz')) }}
    end
{%- endmacro %}


{#- A local wall-clock timestamp in a zone (a SQL expression giving an IANA name) to UTC. -#}
{% macro local_to_utc(timestamp_expression, zone_expression) %}
    {{- return(adapter.dispatch('local_to_utc', 'clv')(timestamp_expression, zone_expression)) -}}
{% endmacro %}

{% macro duckdb__local_to_utc(timestamp_expression, zone_expression) %}
    timezone('UTC', timezone({{ zone_expression }}, {{ timestamp_expression }}))
{%- endmacro %}

{% macro snowflake__local_to_utc(timestamp_expression, zone_expression) %}
    convert_timezone({{ zone_expression }}, 'UTC', {{ timestamp_expression }})
{%- endmacro %}


{#- A local wall-clock timestamp in a zone named by an IANA name (Region/City, a SQL text
    expression) to UTC; null for a name the engine does not know (never an error). -#}
{% macro named_zone_to_utc(timestamp_expression, zone_expression) %}
    {{- return(adapter.dispatch('named_zone_to_utc', 'clv')(timestamp_expression, zone_expression)) -}}
{% endmacro %}

{% macro duckdb__named_zone_to_utc(timestamp_expression, zone_expression) %}
    case
        when {{ zone_expression }} like '%/%' and {{ zone_expression }} not like 'Etc/%'
            then timezone('UTC', try_strptime(
                strftime({{ timestamp_expression }}, '%Y-%m-%d %H:%M:%S.%f') || ' ' || {{ zone_expression }},
                '%Y-%m-%d %H:%M:%S.%f %Z'
            ))
    end
{%- endmacro %}

{#- Snowflake's convert_timezone fails on an unknown name: only the tz database's names reach it. -#}
{% macro snowflake__named_zone_to_utc(timestamp_expression, zone_expression) %}
    {%- set names = [] -%}
    {%- for name in modules.pytz.all_timezones if '/' in name and not name.startswith(('Etc/', 'SystemV/')) -%}
        {%- do names.append("'" ~ name ~ "'") -%}
    {%- endfor -%}
    case
        when {{ zone_expression }} in ({{ names | join(', ') }})
            then convert_timezone({{ zone_expression }}, 'UTC', {{ timestamp_expression }})
    end
{%- endmacro %}


{#- Text with an AM/PM or a zone word (or in another layout the engine reads) to UTC; null when
    a part is not understood. -#}
{% macro zoned_text_to_utc(text_expression, source_timezone) %}
    {{- return(adapter.dispatch('zoned_text_to_utc', 'clv')(text_expression, source_timezone)) -}}
{% endmacro %}

{% macro default__zoned_text_to_utc(text_expression, source_timezone) %}
    {%- set pattern = zoned_timestamp_pattern() -%}
    {%- set body = "trim(" ~ regexp_group(text_expression, pattern, 1) ~ ")" -%}
    {%- set word = regexp_group(text_expression, pattern, 6) -%}
    {#- A POSIX engine may give AM/PM to the zone group: it is the meridiem then. -#}
    {%- set meridiem = "coalesce(upper(" ~ regexp_group(text_expression, pattern, 4) ~ "), case when upper("
        ~ word ~ ") in ('AM', 'PM') then left(upper(" ~ word ~ "), 1) end)" -%}
    {%- set zone = "case when upper(" ~ word ~ ") not in ('AM', 'PM') then " ~ word ~ " end" -%}
    {%- set local = parse_text(body, utc_timestamp_type()) -%}
    {%- set hour = "extract(hour from " ~ local ~ ")" -%}
    {%- set clock -%}
        case
            when {{ meridiem }} is null then {{ local }}
            when {{ hour }} < 1 or {{ hour }} > 12 or not {{ matches_fully(body, '.*[0-9]:[0-9]{2}.*') }} then null
            else {{ dbt.dateadd('hour', "case when " ~ meridiem ~ " = 'P' and " ~ hour ~ " < 12 then 12 when "
                ~ meridiem ~ " = 'A' and " ~ hour ~ " = 12 then -12 else 0 end", local) }}
        end
    {%- endset -%}
    {%- set minutes = zone_abbreviation_minutes(zone) -%}
    case
        -- DuckDB's special words (epoch, infinity): judged by the plausibility rules
        when lower({{ text_expression }}) in ('epoch', 'infinity', '-infinity')
            then {{ parse_text(text_expression, utc_timestamp_type()) }}
        when {{ regexp_group(text_expression, pattern, 1) }} is null then null
        when {{ zone }} is null
            then {{ local_to_utc(clock, sql_literal(source_timezone)) if source_timezone != 'UTC' else clock }}
        when {{ minutes }} is not null then {{ dbt.dateadd('minute', '0 - (' ~ minutes ~ ')', clock) }}
        else {{ named_zone_to_utc(clock, zone) }}
    end
{%- endmacro %}


{#- The same rules, each part computed once: DuckDB plans an expression written out in full
    slowly (written out, the parts repeat: 15 KB of SQL, a third of a second to plan, in every
    model that reads staging), so the parts are passed on through lambdas. -#}
{% macro duckdb__zoned_text_to_utc(text_expression, source_timezone) %}
    {%- set groups = "['body', 'date_time', 'meridiem_word', 'meridiem', 'zone_word', 'word']" -%}
    {%- set local_zone = sql_literal(source_timezone) -%}
    case
        -- DuckDB's special words (epoch, infinity): judged by the plausibility rules
        when lower({{ text_expression }}) in ('epoch', 'infinity', '-infinity')
            then try_cast({{ text_expression }} as timestamp)
        else list_transform(
            [regexp_extract({{ text_expression }}, {{ sql_literal('^' ~ zoned_timestamp_pattern() ~ '$') }}, {{ groups }})],
            lambda parts: list_transform(
                [{
                    'found': parts['body'] != '',
                    'local': try_cast(trim(parts['body']) as timestamp),
                    'has_time': regexp_full_match(parts['body'], '.*[0-9]:[0-9]{2}.*'),
                    -- AM/PM may land in the zone group: it is the meridiem then
                    'meridiem': coalesce(
                        nullif(upper(parts['meridiem']), ''),
                        case when upper(parts['word']) in ('AM', 'PM') then left(upper(parts['word']), 1) end
                    ),
                    'zone': case when upper(parts['word']) not in ('AM', 'PM') then nullif(parts['word'], '') end
                }],
                lambda p: list_transform(
                    [{
                        'found': p['found'],
                        'zone': p['zone'],
                        'clock': case
                            when p['meridiem'] is null then p['local']
                            when hour(p['local']) not between 1 and 12 or not p['has_time'] then null
                            when p['meridiem'] = 'P' and hour(p['local']) < 12 then p['local'] + interval 12 hour
                            when p['meridiem'] = 'A' and hour(p['local']) = 12 then p['local'] - interval 12 hour
                            else p['local']
                        end
                    }],
                    lambda c: case
                        when not c['found'] then null
                        when c['zone'] is null
                            then {{ local_to_utc("c['clock']", local_zone) if source_timezone != 'UTC' else "c['clock']" }}
                        when {{ zone_abbreviation_minutes("c['zone']") }} is not null
                            then c['clock'] - to_minutes({{ zone_abbreviation_minutes("c['zone']") }})
                        else {{ named_zone_to_utc("c['clock']", "c['zone']") }}
                    end
                )[1]
            )[1]
        )[1]
    end
{%- endmacro %}


{#- Minutes east of UTC of a zone abbreviation (time_zone_abbreviations), else null. -#}
{% macro zone_abbreviation_minutes(zone_expression) %}
    case upper({{ zone_expression }})
        {%- for abbreviation, minutes in time_zone_abbreviations().items() | sort %}
        when '{{ abbreviation }}' then {{ minutes }}
        {%- endfor %}
    end
{%- endmacro %}


{#- Whether text matches a regular expression as a whole. -#}
{% macro matches_fully(text_expression, pattern) %}
    {{- return(adapter.dispatch('matches_fully', 'clv')(text_expression, pattern)) -}}
{% endmacro %}

{% macro duckdb__matches_fully(text_expression, pattern) %}
    regexp_full_match({{ text_expression }}, {{ sql_literal(pattern) }})
{%- endmacro %}

{% macro snowflake__matches_fully(text_expression, pattern) %}
    regexp_like({{ text_expression }}, {{ sql_literal(pattern) }})
{%- endmacro %}


{#- A capturing group of a regular expression matched against the whole text; null when the
    text does not match or the group is empty. -#}
{% macro regexp_group(text_expression, pattern, group) %}
    {{- return(adapter.dispatch('regexp_group', 'clv')(text_expression, pattern, group)) -}}
{% endmacro %}

{% macro duckdb__regexp_group(text_expression, pattern, group) %}
    nullif(regexp_extract({{ text_expression }}, {{ sql_literal('^' ~ pattern ~ '$') }}, {{ group }}), '')
{%- endmacro %}

{% macro snowflake__regexp_group(text_expression, pattern, group) %}
    nullif(regexp_substr({{ text_expression }}, {{ sql_literal('^' ~ pattern ~ '$') }}, 1, 1, 'e', {{ group }}), '')
{%- endmacro %}
