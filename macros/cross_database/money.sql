{#- Sum of a money expression, exact: each value to 6 decimals, added as a decimal. Float sums
    depend on the order rows are added in (parallel aggregation), so the same data could give
    totals differing in the last bits, and an order of +10.1 and -10.1 could net above 0.
    Each value fits 12 integer digits (decimal(18, 6): one machine word, so the sum is a third
    faster than at 38 digits; the sum itself is 38 digits wide on both engines). Values are
    line, order and day amounts, lines at most max_line_amount (1e9 at most); a value past
    1e12 stops the build with a conversion error, never a wrong sum. -#}
{% macro sum_money(expression) %}
    cast(sum(cast({{ expression }} as decimal(18, 6))) as double)
{%- endmacro %}
