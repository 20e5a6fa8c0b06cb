{#- Backtest metrics of every candidate model per customer group (clv_customer_groups) and over
    all of them ('all'; only for models that score every group, and for the baselines), computed in
    SQL by backtest_metrics (macros/clv/backtest_metrics.sql; python_utils.reference.evaluation is
    the oracle the tests hold it to). -#}

with

clv_backtest as (

    select * from {{ ref('clv_backtest') }}

),

group_count as (

    select count(distinct customer_group) as customer_groups from clv_backtest

),

model_coverage as (

    select
        model_name,
        count(distinct customer_group) as customer_groups

    from clv_backtest
    group by 1

),

scored as (

    select
        model_id,
        model_name,
        {{ customer_group_id('customer_group') }} as group_id,
        customer_order,
        actual_revenue,
        predicted_revenue,
        actual_purchases,
        predicted_purchases

    from clv_backtest

),

all_metrics_of_models as (

    {{ backtest_metrics('scored') | indent(4) }}

),

-- 'all' rows for models that score every customer group, and for the baselines
model_metrics as (

    select all_metrics_of_models.*
    from all_metrics_of_models
    inner join model_coverage
        on all_metrics_of_models.model_name = model_coverage.model_name
    cross join group_count
    where
        all_metrics_of_models.metric_group != 'all'
        or model_coverage.customer_groups = group_count.customer_groups
        or all_metrics_of_models.model_name in (
            {%- for model in clv_candidates_where('is_baseline') %}
                '{{ model }}'{{ "," if not loop.last }}
            {%- endfor %}
        )

)

select * from model_metrics
