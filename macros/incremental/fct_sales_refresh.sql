{#- How an incremental run of a line-level table (fct_sales) refreshes, decided by comparing it
    with its validated input:
    - window: the latest incremental_lookback_days before the table's latest date are
      rewritten (late edits, refunds and deletions there are picked up), older lines kept;
    - full: everything is rewritten, with the reason logged, when the lines before the window
      differ from the input's (another source file, edited or deleted old lines), or the
      input's latest date went backwards.
    Returns {'mode': 'full' | 'window', 'since': 'YYYY-MM-DD' or none, 'reason': text}. -#}
{% macro incremental_refresh_plan(input_relation, fingerprint_columns) %}
    {%- if not execute or not is_incremental() -%}
        {{ return({'mode': 'full', 'since': none, 'reason': 'first build'}) }}
    {%- endif -%}
    {%- set latest = run_query("select max(order_date) from " ~ this).columns[0].values()[0] -%}
    {%- if latest is none -%}
        {{ return({'mode': 'full', 'since': none, 'reason': 'the table is empty'}) }}
    {%- endif -%}
    {%- set latest = modules.datetime.date.fromisoformat(latest | string) -%}
    {%- set since = (latest - modules.datetime.timedelta(days=clv_var('incremental_lookback_days'))).isoformat() -%}
    {%- set compare -%}
        select
            (select max(order_date) from {{ input_relation }}) as input_latest,
            {%- for relation in [this, input_relation] %}
            (
                select {{ dbt.concat([dbt.cast('count(*)', dbt.type_string()), "'/'",
                    dbt.cast('coalesce(sum(' ~ row_hash(fingerprint_columns) ~ '), 0)', dbt.type_string())]) }}
                from {{ relation }}
                where order_date < cast({{ sql_literal(since) }} as date)
            ) as fingerprint_{{ loop.index }}{{ "," if not loop.last }}
            {%- endfor %}
    {%- endset -%}
    {%- set row = run_query(compare).rows[0] -%}
    {%- if row[0] is none or (row[0] | string) < (latest | string) -%}
        {{ return({'mode': 'full', 'since': none,
            'reason': "the input's latest order date (" ~ row[0] ~ ") is before the table's (" ~ latest ~ ")"}) }}
    {%- endif -%}
    {%- if row[1] != row[2] -%}
        {{ return({'mode': 'full', 'since': none,
            'reason': "lines before " ~ since ~ " differ from the input (rows/hash " ~ row[1] ~ " vs " ~ row[2]
                ~ "): another source or edited old lines"}) }}
    {%- endif -%}
    {{ return({'mode': 'window', 'since': since, 'reason': 'lines since ' ~ since ~ ' rewritten'}) }}
{% endmacro %}


{#- pre_hook of an incremental line table: clears what the run rewrites (all, or the window). -#}
{% macro incremental_clear(input_relation, fingerprint_columns) %}
    {%- if not execute or not is_incremental() -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set plan = incremental_refresh_plan(input_relation, fingerprint_columns) -%}
    {{ log(this.identifier ~ ": " ~ plan.mode ~ " refresh: " ~ plan.reason, info=true) }}
    {%- if plan.mode == 'full' -%}
        {{ return('delete from ' ~ this) }}
    {%- endif -%}
    {{ return('delete from ' ~ this ~ ' where order_date >= cast(' ~ sql_literal(plan.since) ~ ' as date)') }}
{% endmacro %}
