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


{#- The customer groups models are chosen for, in the order the metrics number them (1, 2, 4;
    'all' is 3): python_utils.clv.GROUPS. new = first purchase fewer than cold_start_days
    before the snapshot, whatever the frequency. -#}
{% macro clv_customer_groups() %}
    {{ return(['repeat', 'one_time', 'new']) }}
{% endmacro %}


{#- A customer group's number in the backtest metrics (repeat 1, one_time 2, new 4; 'all' is 3). -#}
{% macro customer_group_id(column) -%}
    case {{ column }} when 'repeat' then 1 when 'one_time' then 2 when 'new' then 4 end
{%- endmacro %}


{#- The group of a customer at a snapshot (clv_customer_groups): new, repeat or one_time. -#}
{% macro customer_group_of(frequency, t_days) -%}
    case
        when {{ t_days }} < {{ clv_var('cold_start_days') }} then 'new'
        when {{ frequency }} > 0 then 'repeat'
        else 'one_time'
    end
{%- endmacro %}
