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


{#- The incremental strategy 'replace_refreshed' (fct_sales): what the run's plan rewrites (all,
    or the window) is deleted and the new rows inserted in one transaction, so a reader never
    sees the window missing or the table empty, and a run that dies leaves the old table whole.
    The plan is worked out again here as the model worked it out (nothing has changed the table
    in between), from the input and fingerprint columns named in the model's meta
    (refresh_input, fingerprint_columns). -#}
{% macro get_incremental_replace_refreshed_sql(arg_dict) %}
    {%- set meta = config.get('meta') or {} -%}
    {%- set input = graph.nodes['model.' ~ project_name ~ '.' ~ meta.get('refresh_input')] -%}
    {%- set input_relation = api.Relation.create(database=input.database, schema=input.schema,
        identifier=input.alias) -%}
    {%- set plan = incremental_refresh_plan(input_relation, meta.get('fingerprint_columns')) -%}
    {{ log(this.identifier ~ ": " ~ plan.mode ~ " refresh: " ~ plan.reason, info=true) }}
    {%- set target, source = arg_dict['target_relation'], arg_dict['temp_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set statements -%}
        delete from {{ target }}
        {%- if plan.mode == 'window' %} where order_date >= cast({{ sql_literal(plan.since) }} as date){% endif %};
        insert into {{ target }} ({{ columns }}) select {{ columns }} from {{ source }}
    {%- endset -%}
    {{ return(in_one_transaction(statements)) }}
{% endmacro %}


{#- Statements made one transaction. dbt-duckdb runs a whole materialization in one already;
    Snowflake commits each statement unless told otherwise. -#}
{% macro in_one_transaction(statements) %}
    {{- return(adapter.dispatch('in_one_transaction', 'clv')(statements)) -}}
{% endmacro %}

{% macro default__in_one_transaction(statements) %}{{ return(statements) }}{% endmacro %}

{% macro snowflake__in_one_transaction(statements) %}
    {{- return(snowflake_dml_explicit_transaction(statements)) -}}
{% endmacro %}
