{#- The build log: which dbt invocation built each model, and whether that invocation finished.
    publish (python_utils/tools/publish.py) reads it from the database itself, never from target/,
    so a killed, failed or partial build cannot pass for a complete run: every published table
    must carry the stamp of one finished, successful build (or of the last published run, for
    the tables a finished dev build did not touch).

    build_log.builds         one row per `dbt build`/`dbt run`: started, finished, failures, vars
    build_log.built_models   one row per model built: its invocation and its parent models

    DuckDB only: publishing is the local path (a warehouse is read in place). -#}

{% macro build_log_schema() %}
    {{ return(generate_schema_name('build_log', none)) }}
{% endmacro %}


{#- Whether this invocation is logged: a `dbt build` or `dbt run` on DuckDB, at run time. -#}
{% macro build_log_applies() %}
    {{ return(execute and target.type == 'duckdb' and flags.WHICH in ('build', 'run')) }}
{% endmacro %}


{#- The vars given on the command line, as sorted JSON: what must be equal for two builds'
    tables to be published together. -#}
{% macro build_vars_json() %}
    {{ return(tojson(given_vars(), sort_keys=true)) }}
{% endmacro %}


{#- on-run-start: the log's tables, and this invocation's row (build and run only). -#}
{% macro start_build_log() %}
    {%- if not build_log_applies() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set schema = build_log_schema() -%}
    {%- do run_query("create schema if not exists " ~ schema) -%}
    {%- do run_query("create table if not exists " ~ schema ~ ".builds (invocation_id varchar, command varchar,"
        ~ " started_at timestamptz, finished_at timestamptz, failed_nodes varchar, vars_json varchar)") -%}
    {%- do run_query("create table if not exists " ~ schema ~ ".built_models (model_name varchar,"
        ~ " invocation_id varchar, built_at timestamptz, parent_models varchar)") -%}
    {%- do run_query("insert into " ~ schema ~ ".builds values (" ~ sql_literal(invocation_id) ~ ", "
        ~ sql_literal(flags.WHICH) ~ ", current_timestamp, null, null, " ~ sql_literal(build_vars_json()) ~ ")") -%}
    {{ return('') }}
{% endmacro %}


{#- post-hook of every model, inside its transaction: the stamp commits with the table. -#}
{% macro stamp_model_build() %}
    {%- if not build_log_applies() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parents = [] -%}
    {%- for node in model.depends_on.nodes if node.startswith('model.') -%}
        {%- do parents.append(node.split('.')[-1]) -%}
    {%- endfor -%}
    insert into {{ build_log_schema() }}.built_models values (
        {{ sql_literal(model.name) }}, {{ sql_literal(invocation_id) }}, current_timestamp,
        {{ sql_literal(parents | join(',')) }}
    )
{% endmacro %}


{#- on-run-end: this invocation finished; the nodes that did not succeed, if any. -#}
{% macro finish_build_log(results) %}
    {%- if not build_log_applies() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set failed = [] -%}
    {%- for result in results if result.status not in ('success', 'pass', 'warn', 'no-op') -%}
        {%- do failed.append(result.node.unique_id ~ ' (' ~ result.status ~ ')') -%}
    {%- endfor -%}
    {%- do run_query("update " ~ build_log_schema() ~ ".builds set finished_at = current_timestamp, failed_nodes = "
        ~ sql_literal(failed | join(', ')) ~ " where invocation_id = " ~ sql_literal(invocation_id)) -%}
    {{ return('') }}
{% endmacro %}
