{#- The backtest's judgement in SQL (python_utils.reference.evaluation is the reference; the integration
    tests hold the two equal to 1e-6). -#}

{#- Metrics per model and customer group (repeat = 1, one_time = 2, new = 4) and over all ('all' = 3):
    customers, revenue totals, aggregate % error of revenue and transactions, MAE, RMSE,
    Spearman (Pearson of average ranks), normalized Gini and decile MAPE.

    `rows`: model_id, model_name, group_id (customer_group_id), customer_order (whole-number customer_id
    order), actual_revenue, predicted_revenue, actual_purchases, predicted_purchases; every
    model covers every customer of a group it scores (clv_backtest's test).

    One sort by prediction per partition serves every rank: within a run of equal values
    starting at rank s with c members, the customer at position p (ties by customer_id) has
    average rank s + (c - 1) / 2 and contributes actual x (2s + c - 1 - p) to the sum of
    running totals of actual revenue in descending order of prediction (ties by customer_id):
    the Gini's numerator. (Running sums in SQL windows cost three times a sort.) Actual
    revenue's ranks are the same for every model: computed once per customer. -#}
{% macro backtest_metrics(rows) %}
    with

    customers as (

        select distinct
            customer_order,
            group_id,
            actual_revenue

        from {{ rows }}

    ),

    customer_positions as (

        select
            customer_order,
            group_id,
            actual_revenue,
            rank() over (partition by group_id order by actual_revenue) as group_rank,
            {{ tie_count('group_id', 'actual_revenue') }} as group_ties,
            row_number() over (partition by group_id order by actual_revenue, customer_order) as group_position,
            rank() over (order by actual_revenue) as all_rank,
            {{ tie_count('', 'actual_revenue') }} as all_ties,
            row_number() over (order by actual_revenue, customer_order) as all_position

        from customers

    ),

    customer_ranks as (

        select
            customer_order,
            group_id,
            actual_revenue,
            group_rank + (group_ties - 1) / 2.0 as group_actual_rank,
            all_rank + (all_ties - 1) / 2.0 as all_actual_rank,
            actual_revenue * (2 * group_rank + group_ties - 1 - group_position) as group_perfect_term,
            actual_revenue * (2 * all_rank + all_ties - 1 - all_position) as all_perfect_term

        from customer_positions

    ),

    perfect_gini as (

        select
            group_id,
            sum(group_perfect_term) / nullif(sum(actual_revenue), 0) / count(*) - cast(count(*) + 1 as double) / (2 * count(*))
                as perfect_gini

        from customer_ranks
        group by 1

        union all

        select
            3 as group_id,
            sum(all_perfect_term) / nullif(sum(actual_revenue), 0) / count(*) - cast(count(*) + 1 as double) / (2 * count(*))
                as perfect_gini

        from customer_ranks

    ),

    model_names as (

        select distinct
            model_id,
            model_name

        from {{ rows }}

    ),

    ranked as (

        -- only numbers go through the sorts: text would make them several times slower
        select
            model_id,
            group_id,
            customer_order,
            actual_revenue,
            predicted_revenue,
            actual_purchases,
            predicted_purchases,
            row_number() over (
                partition by model_id, group_id order by predicted_revenue, customer_order
            ) as group_position,
            rank() over (partition by model_id, group_id order by predicted_revenue) as group_rank,
            {{ tie_count('model_id, group_id', 'predicted_revenue') }} as group_ties,
            count(*) over (partition by model_id, group_id) as group_rows,
            row_number() over (partition by model_id order by predicted_revenue, customer_order) as all_position,
            rank() over (partition by model_id order by predicted_revenue) as all_rank,
            {{ tie_count('model_id', 'predicted_revenue') }} as all_ties,
            count(*) over (partition by model_id) as all_rows

        from {{ rows }}

    ),

    positioned as (

        select
            ranked.*,
            customer_ranks.group_actual_rank,
            customer_ranks.all_actual_rank

        from ranked
        inner join customer_ranks
            on
                ranked.customer_order = customer_ranks.customer_order
                and ranked.group_id = customer_ranks.group_id

    ),

    partitions as (

        {%- for partition in ['group', 'all'] %}
        select
            model_id,
            {{ 'group_id' if partition == 'group' else '3' }} as group_id,
            actual_revenue,
            predicted_revenue,
            actual_purchases,
            predicted_purchases,
            {{ partition }}_rows as partition_rows,
            {{ partition }}_position as prediction_position,
            {{ partition }}_rank + ({{ partition }}_ties - 1) / 2.0 as prediction_average_rank,
            {{ partition }}_actual_rank as actual_average_rank,
            actual_revenue * (2 * {{ partition }}_rank + {{ partition }}_ties - 1 - {{ partition }}_position) as gini_term

        from positioned
        {%- if not loop.last %}

        union all
        {% endif %}
        {%- endfor %}

    ),

    deciles as (

        select
            model_id,
            group_id,
            -- pandas.qcut of the positions into 10 equal-count bins, in whole numbers
            least(greatest(floor(cast(10 * (prediction_position - 1) - 1 as double) / (partition_rows - 1)), 0), 9) as decile,
            sum(actual_revenue) as actual_revenue,
            sum(predicted_revenue) as predicted_revenue

        from partitions
        where partition_rows >= 10
        group by 1, 2, 3

    ),

    decile_errors as (

        select
            model_id,
            group_id,
            avg(abs(predicted_revenue - actual_revenue) / actual_revenue) as decile_mape

        from deciles
        where actual_revenue > 0
        group by 1, 2

    ),

    aggregated as (

        select
            model_id,
            group_id,
            count(*) as customers,
            sum(actual_revenue) as actual_revenue,
            sum(predicted_revenue) as predicted_revenue,
            case
                when sum(actual_revenue) > 0 then sum(predicted_revenue) / sum(actual_revenue) - 1
            end as aggregate_revenue_error,
            case
                -- null unless every row has predicted purchases (as a numpy sum with NaN)
                when sum(actual_purchases) > 0 and count(predicted_purchases) = count(*)
                    then sum(predicted_purchases) / sum(actual_purchases) - 1
            end as aggregate_transactions_error,
            avg(abs(predicted_revenue - actual_revenue)) as mae,
            sqrt(avg((predicted_revenue - actual_revenue) * (predicted_revenue - actual_revenue))) as rmse,
            case
                when max(predicted_revenue) > min(predicted_revenue) and max(actual_revenue) > min(actual_revenue)
                    then corr(prediction_average_rank, actual_average_rank)
            end as spearman,
            sum(gini_term) / nullif(sum(actual_revenue), 0) / count(*) - cast(count(*) + 1 as double) / (2 * count(*)) as gini

        from partitions
        group by 1, 2

    )

    select
        model_names.model_name,
        case aggregated.group_id when 1 then 'repeat' when 2 then 'one_time' when 4 then 'new' else 'all' end
            as metric_group,
        aggregated.customers,
        aggregated.actual_revenue,
        aggregated.predicted_revenue,
        aggregated.aggregate_revenue_error,
        aggregated.aggregate_transactions_error,
        aggregated.mae,
        aggregated.rmse,
        aggregated.spearman,
        case
            when aggregated.customers >= 2 and aggregated.actual_revenue > 0 and perfect_gini.perfect_gini > 0
                then aggregated.gini / perfect_gini.perfect_gini
        end as normalized_gini,
        decile_errors.decile_mape

    from aggregated
    inner join model_names
        on aggregated.model_id = model_names.model_id
    left join perfect_gini
        on aggregated.group_id = perfect_gini.group_id
    left join decile_errors
        on
            aggregated.model_id = decile_errors.model_id
            and aggregated.group_id = decile_errors.group_id
{% endmacro %}


{#- Split-conformal intervals. interval_edges: per partition, the inner edges splitting
    predictions into 5 equal-count bins (linear quantiles, as numpy). interval_bin: a value's
    bin = the number of distinct edges at or below it (numpy.searchsorted, right).
    interval_offsets: per partition and bin, the residual (actual - predicted) quantiles
    giving the coverage; bin -1 holds the whole partition's, for bins without rows. -#}
{% macro interval_edges(rows, partition_by) %}
    select
        {{ partition_by }},
        percentile_cont(0.2) within group (order by predicted_revenue) as edge_1,
        percentile_cont(0.4) within group (order by predicted_revenue) as edge_2,
        percentile_cont(0.6) within group (order by predicted_revenue) as edge_3,
        percentile_cont(0.8) within group (order by predicted_revenue) as edge_4
    from {{ rows }}
    group by {{ partition_by }}
{% endmacro %}

{% macro interval_bin(value, edges) -%}
    (
        case when {{ value }} >= {{ edges }}.edge_1 then 1 else 0 end
        + case when {{ value }} >= {{ edges }}.edge_2 and {{ edges }}.edge_2 > {{ edges }}.edge_1 then 1 else 0 end
        + case when {{ value }} >= {{ edges }}.edge_3 and {{ edges }}.edge_3 > {{ edges }}.edge_2 then 1 else 0 end
        + case when {{ value }} >= {{ edges }}.edge_4 and {{ edges }}.edge_4 > {{ edges }}.edge_3 then 1 else 0 end
    )
{%- endmacro %}

{% macro interval_offsets(binned, partition_by, coverage) %}
    {%- set tail = (1 - coverage) / 2 %}
    select
        {{ partition_by }},
        interval_bin,
        percentile_cont({{ tail }}) within group (order by actual_revenue - predicted_revenue) as lower_offset,
        percentile_cont({{ 1 - tail }}) within group (order by actual_revenue - predicted_revenue) as upper_offset
    from {{ binned }}
    group by {{ partition_by }}, interval_bin

    union all

    select
        {{ partition_by }},
        -1 as interval_bin,
        percentile_cont({{ tail }}) within group (order by actual_revenue - predicted_revenue) as lower_offset,
        percentile_cont({{ 1 - tail }}) within group (order by actual_revenue - predicted_revenue) as upper_offset
    from {{ binned }}
    group by {{ partition_by }}
{% endmacro %}
