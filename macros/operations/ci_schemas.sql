{#- Slim CI's clean-up when a pull request closes (`make drop-ci-schemas`): drops the schema
    ci_pr_<n> and the schemas dbt made beside it (ci_pr_<n>_staging, _marts, _packages, ...),
    never another pull request's (ci_pr_<n>1...) or anything not named ci_pr_<n>. -#}
{% macro drop_ci_schemas(schema) %}
    {%- set prefix = schema | string | lower -%}
    {%- if not modules.re.fullmatch('ci_pr_[0-9]+', prefix) -%}
        {{ exceptions.raise_compiler_error("drop_ci_schemas drops only a pull request's schemas (ci_pr_<number>), not "
            ~ schema | tojson) }}
    {%- endif -%}
    {%- set listed = run_query("show schemas in database " ~ target.database) -%}
    {%- set dropped = [] -%}
    {%- for name in listed.columns['name'].values()
        if name | lower == prefix or (name | lower).startswith(prefix ~ '_') -%}
        {%- do run_query('drop schema if exists ' ~ target.database ~ '."' ~ name ~ '" cascade') -%}
        {%- do dropped.append(name) -%}
    {%- endfor -%}
    {{ log("dropped " ~ (dropped | join(", ") if dropped else "nothing: no schema of " ~ prefix), info=true) }}
{% endmacro %}
