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


{#- Whether this account's Anaconda channel serves what the Python models ask for: the packages
    and Python version read from the Python models themselves (they must agree), each pinned
    version looked up for that runtime in `packages_view`, then (resolve=true) the whole set
    resolved as Snowflake resolves a procedure's packages, transitive dependencies included:
    a temporary function created with the same runtime and packages. Fails naming what is
    missing. `packages_view` is a parameter so the emulator's tests can hand it a fixture. -#}
{% macro check_snowflake_packages(packages_view='information_schema.packages', resolve=true) %}
    {%- set runtime, pinned = python_models_runtime() -%}
    {%- set missing = [] -%}
    {%- for spec in pinned -%}
        {%- set name, version = spec.split('==') -%}
        {%- set found = run_query(
            "select count(*) from " ~ packages_view ~ " where lower(language) = 'python'"
            ~ " and package_name = " ~ sql_literal(name) ~ " and version = " ~ sql_literal(version)
            ~ " and runtime_version = " ~ sql_literal(runtime)
        ) -%}
        {%- if found.columns[0].values()[0] == 0 -%}
            {%- do missing.append(spec) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error("not served for Python " ~ runtime ~ " by this account's Anaconda channel: "
            ~ missing | join(", ") ~ ". Pick served versions (" ~ packages_view ~ ") for +packages in dbt_project.yml.") }}
    {%- endif -%}
    {%- if resolve -%}
        {%- set quoted = [] -%}
        {%- for spec in pinned -%}{%- do quoted.append(sql_literal(spec)) -%}{%- endfor -%}
        {#- in the schema of the stage (deploy creates it too): a session may have no current schema -#}
        {%- set stage = python_utils_import_parts(graph.nodes['model.clv.clv_model_fits'].config.imports[0])[0] -%}
        {%- set schema = stage.split('.')[:2] | join('.') -%}
        {%- do run_query("create schema if not exists " ~ schema) -%}
        {%- do run_query("create or replace temporary function " ~ schema ~ ".clv_packages_probe() returns varchar"
            ~ " language python runtime_version = " ~ sql_literal(runtime)
            ~ " packages = (" ~ quoted | join(", ") ~ ") handler = 'probe'"
            ~ " as $$\ndef probe():\n    return 'resolved'\n$$") -%}
    {%- endif -%}
    {{ log("all " ~ pinned | length ~ " pinned packages are served for Python " ~ runtime
        ~ (" and resolve together" if resolve else ""), info=true) }}
{% endmacro %}


{#- (python_version, packages) of the project's Python models; an error when two disagree. -#}
{% macro python_models_runtime() %}
    {%- set seen = {} -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.language == 'python' -%}
        {%- do seen.update({node.name: (node.config.python_version, node.config.packages | list)}) -%}
    {%- endfor -%}
    {%- if not seen -%}
        {{ exceptions.raise_compiler_error("no Python model found to read packages from") }}
    {%- endif -%}
    {%- set first = (seen | dictsort | first) -%}
    {%- for name, runtime in seen.items() if runtime != first[1] -%}
        {{ exceptions.raise_compiler_error(name ~ " asks for " ~ runtime ~ " but " ~ first[0] ~ " for " ~ first[1]
            ~ ": one runtime for every Python model") }}
    {%- endfor -%}
    {%- if not first[1][0] or not first[1][1] -%}
        {{ exceptions.raise_compiler_error(first[0] ~ " sets no python_version or no packages") }}
    {%- endif -%}
    {{ return(first[1]) }}
{% endmacro %}
