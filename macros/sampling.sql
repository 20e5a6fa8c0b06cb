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
