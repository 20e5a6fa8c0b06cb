{#- The CLV model catalogue (the clv_candidates var of dbt_project.yml): {model_name: {groups,
    predicts_purchases, is_baseline, is_default, label}}. The tests' oracle and the report read
    the same var (python_utils.reference.catalogue). -#}
{% macro clv_catalogue() %}
    {{ return(clv_var('clv_candidates')) }}
{% endmacro %}


{#- The candidates with the customer groups each may be chosen for: {model_name: [groups]}. -#}
{% macro clv_candidates() %}
    {%- set candidates = {} -%}
    {%- for model, entry in clv_catalogue().items() -%}
        {%- do candidates.update({model: entry.groups | list}) -%}
    {%- endfor -%}
    {{ return(candidates) }}
{% endmacro %}


{#- The candidate chosen where there is no backtest to choose by. -#}
{% macro clv_default_model() %}
    {%- for model, entry in clv_catalogue().items() if entry.get('is_default') -%}
        {{ return(model) }}
    {%- endfor -%}
{% endmacro %}


{#- The candidates of the catalogue with a flag set (predicts_purchases, is_baseline). -#}
{% macro clv_candidates_where(flag) %}
    {{ return(clv_catalogue().items() | selectattr('1.' ~ flag) | map(attribute='0') | list) }}
{% endmacro %}
