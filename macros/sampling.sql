{#- The order seeded samples are drawn in: the md5 of the key and random_seed (dbt.hash), the
    same text on DuckDB and Snowflake and independent of row order. The first n rows in this
    order are the seeded sample of size n; ties (none in practice) fall back to the key. -#}
{% macro sample_order(key) -%}
    {{ dbt.hash(dbt.concat([dbt.safe_cast(key, dbt.type_string()), "'-" ~ clv_var('random_seed') ~ "'"])) }}
{%- endmacro %}
