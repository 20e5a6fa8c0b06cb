{#- Backtest metrics per model and customer group (repeat, one_time, all), and the model
    published per group (model_name = 'published'), all in SQL (macros/backtest_metrics.sql).

    Choice per group, naive baselines included: the lowest MAE among candidates whose
    |aggregate revenue error| is within clv_selection_max_aggregate_error; if none is, the
    smallest |aggregate error|; ties by model name. 'all' rows exist for models that cover every
    group, and for baselines. The published rows carry the cross-fitted coverage of their
    interval (offsets fitted on one seeded half of the customers, measured on the other) and
    the validation_status: validated when total revenue is within clv_max_aggregate_error and MAE
    is no worse than the best naive baseline's, else below_target. Without an honest backtest
    the default model (btyd) is published per group as not_backtestable. -#}

{%- set coverage = clv_var('clv_interval_coverage') %}
{%- set max_error = clv_var('clv_selection_max_aggregate_error') %}
{%- set gate_error = clv_var('clv_max_aggregate_error') %}
{%- set candidates = clv_candidates() %}

with

clv_backtest as (

    select * from {{ ref('clv_backtest') }}

),

int_as_of_date as (

    select * from {{ ref('int_as_of_date') }}

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
        case customer_group when 'repeat' then 1 else 2 end as group_id,
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
        or all_metrics_of_models.model_name like 'baseline%'

),

options as (

    select
        *,
        abs(aggregate_revenue_error) <= {{ max_error }} as is_unbiased

    from model_metrics
    where
        aggregate_revenue_error is not null
        and (
            {%- for model, groups in candidates.items() %}
                (
                    model_name = '{{ model }}'
                    and metric_group in (
                        '{{ groups | join("', '") }}'
                    )
                )
                {{- " or" if not loop.last }}
            {%- endfor %}
        )

),

ranked_options as (

    select
        metric_group,
        model_name,
        row_number() over (
            partition by metric_group
            order by
                case when is_unbiased then 0 else 1 end,
                case when is_unbiased then mae else abs(aggregate_revenue_error) end,
                model_name
        ) as option_rank

    from options

),

backtest_groups as (

    select distinct customer_group from clv_backtest

),

chosen as (

    select
        backtest_groups.customer_group,
        coalesce(ranked_options.model_name, 'btyd') as published_model

    from backtest_groups
    left join ranked_options
        on
            backtest_groups.customer_group = ranked_options.metric_group
            and ranked_options.option_rank = 1

),

published_rows as (

    select
        clv_backtest.*,
        'published' as published_name,
        {{ sample_order('clv_backtest.customer_id') }} < '8' as is_first_half

    from clv_backtest
    inner join chosen
        on
            clv_backtest.customer_group = chosen.customer_group
            and clv_backtest.model_name = chosen.published_model

),

published_scored as (

    select
        0 as model_id,
        'published' as model_name,
        case customer_group when 'repeat' then 1 else 2 end as group_id,
        customer_order,
        actual_revenue,
        predicted_revenue,
        actual_purchases,
        predicted_purchases

    from published_rows

),

-- Coverage is cross-fitted per group and over all customers.
published_partitioned as (

    select
        customer_group as metric_group,
        actual_revenue,
        predicted_revenue,
        is_first_half

    from published_rows

    union all

    select
        'all' as metric_group,
        actual_revenue,
        predicted_revenue,
        is_first_half

    from published_rows

),

published_metrics as (

    {{ backtest_metrics('published_scored') | indent(4) }}

),

-- Cross-fitted coverage: each half's intervals come from the other half's residuals.
half_edges as (

    {{ interval_edges('published_partitioned', 'metric_group, is_first_half') | indent(4) }}

),

half_binned as (

    select
        published_partitioned.*,
        {{ interval_bin('published_partitioned.predicted_revenue', 'half_edges') }} as interval_bin

    from published_partitioned
    inner join half_edges
        on
            published_partitioned.metric_group = half_edges.metric_group
            and published_partitioned.is_first_half = half_edges.is_first_half

),

half_offsets as (

    {{ interval_offsets('half_binned', 'metric_group, is_first_half', coverage) | indent(4) }}

),

held_out as (

    select
        published_partitioned.metric_group,
        published_partitioned.actual_revenue,
        published_partitioned.predicted_revenue,
        coalesce(in_bin.lower_offset, whole.lower_offset) as lower_offset,
        coalesce(in_bin.upper_offset, whole.upper_offset) as upper_offset

    from published_partitioned
    inner join half_edges as other_half
        on
            published_partitioned.metric_group = other_half.metric_group
            and published_partitioned.is_first_half != other_half.is_first_half
    inner join half_offsets as whole
        on
            other_half.metric_group = whole.metric_group
            and other_half.is_first_half = whole.is_first_half
            and whole.interval_bin = -1
    left join half_offsets as in_bin
        on
            other_half.metric_group = in_bin.metric_group
            and other_half.is_first_half = in_bin.is_first_half
            and in_bin.interval_bin
            = {{ interval_bin('published_partitioned.predicted_revenue', 'other_half') }}

),

coverage as (

    select
        metric_group,
        avg(
            case
                when
                    actual_revenue >= least(greatest(predicted_revenue + lower_offset, 0), predicted_revenue)
                    and actual_revenue <= greatest(predicted_revenue + upper_offset, predicted_revenue)
                    then 1.0
                else 0.0
            end
        ) as interval_coverage

    from held_out
    group by 1

),

chosen_map as (

    select
        '{'
        || coalesce(
            max(case when customer_group = 'repeat' then '"repeat": "' || published_model || '"' end), ''
        )
        || case when count(*) = 2 then ', ' else '' end
        || coalesce(
            max(case when customer_group = 'one_time' then '"one_time": "' || published_model || '"' end), ''
        )
        || '}' as published_model

    from chosen

),

all_metrics as (

    select
        model_metrics.*,
        {{ dbt.cast('null', dbt.type_string()) }} as published_model,
        cast(null as double) as interval_coverage

    from model_metrics

    union all

    select
        published_metrics.*,
        case
            when published_metrics.metric_group = 'all' then chosen_map.published_model
            else chosen.published_model
        end as published_model,
        coverage.interval_coverage

    from published_metrics
    cross join chosen_map
    left join chosen
        on published_metrics.metric_group = chosen.customer_group
    left join coverage
        on published_metrics.metric_group = coverage.metric_group

),

baselines as (

    select
        metric_group,
        min(mae) as best_baseline_mae,
        max(normalized_gini) as best_baseline_gini

    from model_metrics
    where model_name like 'baseline%'
    group by 1

),

judged as (

    select
        all_metrics.*,
        all_metrics.model_name like 'baseline%' as is_baseline,
        baselines.best_baseline_mae,
        baselines.best_baseline_gini,
        not coalesce(abs(all_metrics.aggregate_revenue_error) <= {{ gate_error }}, false)
            as misses_error_target,
        not coalesce(all_metrics.mae <= baselines.best_baseline_mae, false) as misses_baseline

    from all_metrics
    left join baselines
        on all_metrics.metric_group = baselines.metric_group

),

noted as (

    select
        *,
        case
            when published_model like 'baseline%'
                then 'a naive baseline is published (' || published_model || '): no model beat it'
        end as baseline_note,
        case
            when misses_error_target
                then
                    'aggregate revenue error '
                    || case when aggregate_revenue_error >= 0 then '+' else '-' end
                    || {{ dbt.cast(
                        'cast(round(abs(aggregate_revenue_error) * 100, 1) as decimal(38, 1))', dbt.type_string()
                    ) }}
                    || '% beyond {{ (gate_error * 100) | round | int }}%'
        end as error_note,
        case
            when misses_baseline
                then
                    'MAE ' || {{ dbt.cast('cast(round(mae, 2) as decimal(38, 2))', dbt.type_string()) }}
                    || ' above the best naive baseline''s '
                    || {{ dbt.cast(
                        'cast(round(best_baseline_mae, 2) as decimal(38, 2))', dbt.type_string()
                    ) }}
        end as baseline_miss_note

    from judged

),

backtested as (

    select
        model_name,
        metric_group as customer_group,
        customers,
        actual_revenue,
        predicted_revenue,
        aggregate_revenue_error,
        aggregate_transactions_error,
        mae,
        rmse,
        spearman,
        normalized_gini,
        decile_mape,
        published_model,
        interval_coverage,
        is_baseline,
        best_baseline_mae,
        best_baseline_gini,
        cast({{ coverage }} as double) as nominal_coverage,
        case
            when model_name != 'published' then null
            when misses_error_target or misses_baseline then 'below_target'
            else 'validated'
        end as validation_status,
        case
            when model_name = 'published' then
            {{ dbt.concat(["coalesce(baseline_note, '')",
                "case when baseline_note is not null and coalesce(error_note, baseline_miss_note) is not null then '; ' else '' end",
                "coalesce(error_note, '')",
                "case when error_note is not null and baseline_miss_note is not null then '; ' else '' end",
                "coalesce(baseline_miss_note, '')"]) }}
        end as validation_note

    from noted

),

customer_groups as (

    select 'repeat' as customer_group
    union all
    select 'one_time' as customer_group
    union all
    select 'all' as customer_group

),

backtest_size as (

    select count(*) as backtest_rows from clv_backtest

),

not_backtested as (

    select
        'published' as model_name,
        customer_groups.customer_group,
        {{ dbt.cast('null', dbt.type_bigint()) }} as customers,
        {%- for column in ['actual_revenue', 'predicted_revenue', 'aggregate_revenue_error',
            'aggregate_transactions_error', 'mae', 'rmse', 'spearman', 'normalized_gini', 'decile_mape'] %}
            cast(null as double) as {{ column }},
        {%- endfor %}
        case
            when customer_groups.customer_group = 'all' then '{"repeat": "btyd", "one_time": "btyd"}'
            else 'btyd'
        end as published_model,
        cast(null as double) as interval_coverage,
        false as is_baseline,
        cast(null as double) as best_baseline_mae,
        cast(null as double) as best_baseline_gini,
        cast({{ coverage }} as double) as nominal_coverage,
        'not_backtestable' as validation_status,
        'no honest backtest: '
        || {{ dbt.cast('int_as_of_date.history_days', dbt.type_string()) }}
        || ' days of history, under two windows of 28 days' as validation_note

    from int_as_of_date
    cross join customer_groups
    cross join backtest_size
    where backtest_size.backtest_rows = 0

),

unioned as (

    select * from backtested
    union all
    select * from not_backtested

),

final as (

    select
        unioned.*,
        int_as_of_date.as_of_date,
        int_as_of_date.horizon_days,
        int_as_of_date.backtest_horizon_days,
        int_as_of_date.backtest_window

    from unioned
    cross join int_as_of_date

)

select * from final
