{#- Snowflake deployment helpers, run by `make deploy-snowflake` / `make check-snowflake-packages`.

    upload_python_utils: put the python_utils zip exactly where the Python models' `+imports`
    point (dbt_project.yml: <database>.<schema>_packages.python_utils/<release>/python_utils.zip),
    creating that schema and stage when missing. A release is never overwritten: a running build
    keeps importing what it started with, and an earlier release stays on the stage to go back to
    (set python_utils_release to it). -#}
{% macro upload_python_utils(zip_path, release) %}
    {%- set target_path = graph.nodes['model.clv.clv_model_fits'].config.imports[0] -%}
    {%- set stage, folder, file_name = python_utils_import_parts(target_path) -%}
    {%- if folder != release -%}
        {{ exceptions.raise_compiler_error("the zip is release " ~ release ~ " but the models import "
            ~ target_path ~ ": run `make python-utils-release` (and test) first") }}
    {%- endif -%}
    {%- set schema = stage.split('.')[:2] | join('.') -%}
    {% do run_query("create schema if not exists " ~ schema) %}
    {% do run_query("create stage if not exists " ~ stage ~ " comment = 'python_utils releases for the CLV Python models'") %}
    {% do run_query("put file://" ~ zip_path ~ " @" ~ stage ~ "/" ~ folder ~ "/ auto_compress = false overwrite = false") %}
    {%- set listed = run_query("list @" ~ stage) -%}
    {%- set found = [] -%}
    {%- for name in listed.columns[0].values() if name.endswith('/' ~ folder ~ '/' ~ file_name) -%}
        {%- do found.append(name) -%}
    {%- endfor -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error("uploaded, but " ~ target_path ~ " is not on the stage") }}
    {%- endif -%}
    {{ log("python_utils release " ~ release ~ " is at " ~ target_path, info=true) }}
{% endmacro %}


{#- (stage, release folder, file name) of an import path "@db.schema.stage/<release>/<file>". -#}
{% macro python_utils_import_parts(import_path) %}
    {%- set parts = import_path.lstrip('@').split('/') -%}
    {%- if parts | length != 3 or parts[0].split('.') | length != 3 -%}
        {{ exceptions.raise_compiler_error("+imports must be @<database>.<schema>.<stage>/<release>/<file>, got " ~ import_path) }}
    {%- endif -%}
    {{ return(parts) }}
{% endmacro %}


{#- Whether this account's Anaconda channel serves the packages pinned for the Python models
    (`+packages` under models/ml in dbt_project.yml). -#}
{% macro check_snowflake_packages() %}
    {%- set missing = [] -%}
    {%- set pinned = graph.nodes['model.clv.clv_predictions'].config.packages -%}
    {%- for spec in pinned -%}
        {%- set name, version = spec.split('==') -%}
        {%- set found = run_query(
            "select count(*) from information_schema.packages where language = 'python'"
            ~ " and package_name = '" ~ name ~ "' and version = '" ~ version ~ "'"
        ) -%}
        {%- if found.columns[0].values()[0] == 0 -%}
            {%- do missing.append(spec) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error("not in this account's Anaconda channel: " ~ missing | join(", ")
            ~ ". Pick served versions (information_schema.packages) for +packages in dbt_project.yml.") }}
    {%- endif -%}
    {{ log("all " ~ pinned | length ~ " pinned packages are served", info=true) }}
{% endmacro %}
