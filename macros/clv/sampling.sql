{#- The order seeded samples are drawn in: the md5 of the key and random_seed (dbt.hash), the
    same text on DuckDB and Snowflake and independent of row order. The first n rows in this
    order are the seeded sample of size n; ties (none in practice) fall back to the key. -#}
{% macro sample_order(key) -%}
    {{ dbt.hash(dbt.concat([dbt.safe_cast(key, dbt.type_string()), "'-" ~ clv_var('random_seed') ~ "'"])) }}
{%- endmacro %}


{#- The first n rows of a relation with a customer_id, in sample_order: a top-n (order by ...
    limit), so no engine sorts every row, as a window ranking all of them would. -#}
{% macro first_in_sample_order(relation, n, where=none) -%}
select * from {{ relation }}
{%- if where %}
where {{ where }}
{%- endif %}
order by {{ sample_order('customer_id') }}, customer_id
limit {{ n }}
{%- endmacro %}


{#- One row per group_by value: the columns ({output name: expression}) of the group's first
    row in order_by (a list of expressions that are never null and tell the group's rows apart,
    ascending). -#}
{% macro first_rows(relation, group_by, order_by, columns) %}
    {{- return(adapter.dispatch('first_rows', 'clv')(relation, group_by, order_by, columns)) -}}
{% endmacro %}

{% macro default__first_rows(relation, group_by, order_by, columns) %}
    select
        {{ group_by }},
        {%- for name in columns %}
        {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ group_by }},
            {%- for name, expression in columns.items() %}
            {{ expression }} as {{ name }},
            {%- endfor %}
            row_number() over (partition by {{ group_by }} order by {{ order_by | join(', ') }}) as row_rank
        from {{ relation }}
    ) as ranked
    where row_rank = 1
{%- endmacro %}

{#- An aggregate instead of a window: a window over 10M order lines sorts them all
    (benchmarks/README.md, design choices). The row key compares field by field, as order by does. -#}
{% macro duckdb__first_rows(relation, group_by, order_by, columns) %}
    select
        {{ group_by }},
        {%- for name in columns %}
        first_row.{{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ group_by }},
            arg_min(
                struct_pack({% for name, expression in columns.items() %}{{ name }} := {{ expression }}{{ ", " if not loop.last }}{% endfor %}),
                row({{ order_by | join(', ') }})
            ) as first_row
        from {{ relation }}
        group by {{ group_by }}
    ) as firsts
{%- endmacro %}
