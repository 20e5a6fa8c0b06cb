{#- A date expression shifted by a number of days, kept a date on every adapter. -#}
{% macro add_days(date_expression, days) %}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{% endmacro %}


{#- Whole days from one date expression to another, as an integer on every adapter. -#}
{% macro days_between(start_date, end_date) %}
    {{- dbt.cast(dbt.datediff(start_date, end_date, 'day'), dbt.type_int()) -}}
{% endmacro %}


{#- The moment this dbt invocation started, UTC, as a timestamp literal: "in the future" is
    judged against one fixed instant per run, whatever the session's time zone. -#}
{% macro run_started_at_utc() %}
    {{- return(timestamp_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S'))) -}}
{% endmacro %}


{#- A UTC timestamp literal from text 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' (quoted, never SQL). -#}
{% macro timestamp_literal(text) %}
    {{- return('cast(' ~ sql_literal(text) ~ ' as ' ~ utc_timestamp_type() ~ ')') -}}
{% endmacro %}


{#- The type of a UTC wall-clock timestamp, the type every timestamp here has (to_utc_timestamp).
    Snowflake's plain TIMESTAMP follows the account's TIMESTAMP_TYPE_MAPPING (it may be LTZ or
    TZ, read in the session's time zone), so the type is named there. -#}
{% macro utc_timestamp_type() %}
    {{- return(adapter.dispatch('utc_timestamp_type', 'clv')()) -}}
{% endmacro %}

{% macro default__utc_timestamp_type() %}{{ return(dbt.type_timestamp()) }}{% endmacro %}

{% macro snowflake__utc_timestamp_type() %}{{ return('timestamp_ntz') }}{% endmacro %}
