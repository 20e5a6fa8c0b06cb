{#- Backtest metrics per model and customer group (repeat, one_time, new, all): the candidates'
    (clv_candidate_metrics) and the model chosen per group (model_name = 'published',
    clv_chosen_model_metrics, with its interval's cross-fitted coverage), judged against the best
    naive baseline. The published rows carry the validation_status: validated when total
    revenue is within clv_max_aggregate_error and MAE is no worse than the best naive
    baseline's, else below_target. Without an honest backtest the catalogue's default model is
    published per group as not_backtestable. -#}

{%- set clv_interval_coverage = clv_var('clv_interval_coverage') %}
{%- set clv_max_aggregate_error = clv_var('clv_max_aggregate_error') %}
{%- set default = clv_default_model() %}
{%- set baselines = "'" ~ clv_candidates_where('is_baseline') | join("', '") ~ "'" %}

with

clv_backtest as (

    select * from {{ ref('clv_backtest') }}

),

model_metrics as (

    select * from {{ ref('clv_candidate_metrics') }}

),

chosen_metrics as (

    select * from {{ ref('clv_chosen_model_metrics') }}

),

int_as_of_date as (

    select * from {{ ref('int_as_of_date') }}

),

all_metrics as (

    select
        model_metrics.*,
        {{ dbt.cast('null', dbt.type_string()) }} as published_model,
        cast(null as double) as interval_coverage

    from model_metrics

    union all

    select * from chosen_metrics

),

baselines as (

    select
        metric_group,
        min(mae) as best_baseline_mae,
        max(normalized_gini) as best_baseline_gini

    from model_metrics
    where model_name in ({{ baselines }})
    group by 1

),

judged as (

    select
        all_metrics.*,
        all_metrics.model_name in ({{ baselines }}) as is_baseline,
        baselines.best_baseline_mae,
        baselines.best_baseline_gini,
        not coalesce(abs(all_metrics.aggregate_revenue_error) <= {{ clv_max_aggregate_error }}, false)
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
            when published_model in ({{ baselines }})
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
                    || '% beyond {{ (clv_max_aggregate_error * 100) | round | int }}%'
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
        cast({{ clv_interval_coverage }} as double) as nominal_coverage,
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

    {%- for group in clv_customer_groups() + ['all'] %}
        select '{{ group }}' as customer_group
        {{- "\n        union all" if not loop.last }}
    {%- endfor %}

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
            when customer_groups.customer_group = 'all'
                then '{
                    {%- for group in clv_customer_groups() -%}
                        "{{ group }}": "{{ default }}"{{ ", " if not loop.last }}
                    {%- endfor -%}
                }'
            else '{{ default }}'
        end as published_model,
        cast(null as double) as interval_coverage,
        false as is_baseline,
        cast(null as double) as best_baseline_mae,
        cast(null as double) as best_baseline_gini,
        cast({{ clv_interval_coverage }} as double) as nominal_coverage,
        'not_backtestable' as validation_status,
        'no honest backtest: '
        || {{ dbt.cast('int_as_of_date.history_days', dbt.type_string()) }}
        || ' days of history, under two windows of {{ clv_var('min_backtest_days') }} days' as validation_note

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
