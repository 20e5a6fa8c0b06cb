{#- Coverage both ways: exactly one row of the model per row of `to` (matched on column_name =
    field), and no row for a key `to` does not have. -#}
{% test one_row_per_row_of(model, column_name, to, field) %}

with

parent_keys as (

    select {{ field }} as key_value from {{ to }}

),

child_keys as (

    select {{ column_name }} as key_value, count(*) as child_rows
    from {{ model }}
    group by 1

),

mismatched as (

    select
        coalesce(parent_keys.key_value, child_keys.key_value) as key_value,
        coalesce(child_keys.child_rows, 0) as child_rows,
        parent_keys.key_value is not null as is_in_parent

    from parent_keys
    full outer join child_keys
        on parent_keys.key_value = child_keys.key_value

)

select * from mismatched
where child_rows != 1 or not is_in_parent

{% endtest %}
