{#- Snowflake deployment helpers, run by `make deploy-snowflake` / `make check-snowflake-packages`.

    upload_python_utils: create the stage named by CLV_PYTHON_UTILS_STAGE (if missing) and PUT
    the python_utils zip there, where the Python models' `imports` find it. -#}
{% macro upload_python_utils(zip_path) %}
    {%- set stage = env_var('CLV_PYTHON_UTILS_STAGE', 'clv_python_utils') -%}
    {% do run_query("create stage if not exists " ~ stage) %}
    {% do run_query("put file://" ~ zip_path ~ " @" ~ stage ~ " auto_compress = false overwrite = true") %}
    {{ log("uploaded " ~ zip_path ~ " to @" ~ stage, info=true) }}
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
