{#- Placed between a CTE's name and its body (`name as {{ recomputed_cte() }} (`): the CTE is
    recomputed by each reader instead of being stored once. DuckDB stores a CTE read more than
    once, and a stream of 10M wide order lines stored under memory_limit spills to disk:
    re-reading the file and re-parsing is faster (benchmarks/README.md, design choices). Other
    engines plan CTEs themselves: nothing is added. -#}
{% macro recomputed_cte() %}
    {{- return(adapter.dispatch('recomputed_cte', 'clv')()) -}}
{% endmacro %}

{% macro default__recomputed_cte() %}{% endmacro %}

{% macro duckdb__recomputed_cte() %}not materialized{% endmacro %}


{#- The opposite: the CTE is computed once and stored for its readers. DuckDB decides that
    itself only for CTEs whose own body joins or aggregates; a small filtered CTE read several
    times says so here. Other engines plan CTEs themselves: nothing is added. -#}
{% macro stored_cte() %}
    {{- return(adapter.dispatch('stored_cte', 'clv')()) -}}
{% endmacro %}

{% macro default__stored_cte() %}{% endmacro %}

{% macro duckdb__stored_cte() %}materialized{% endmacro %}
