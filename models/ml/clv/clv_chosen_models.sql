{#- The model chosen per customer group, naive baselines included: the lowest MAE among the
    group's candidates (the clv_candidates catalogue) that can publish (fitted at as_of_date:
    XGBoost after a shortened backtest window is not) whose |aggregate revenue error| is within
    clv_selection_max_aggregate_error; if none is, the smallest |aggregate error| (to a
    millionth); ties by MAE, then model name. Every group of the backtest has a row (the
    default model where no candidate has metrics). -#}

{#- A view: one model reads it, and a table would only add a write. -#}
{{ config(materialized='view') }}

{%- set clv_selection_max_aggregate_error = clv_var('clv_selection_max_aggregate_error') %}
{%- set candidates = clv_candidates() %}

with

clv_candidate_metrics as (

    select * from {{ ref('clv_candidate_metrics') }}

),

clv_backtest as (

    select * from {{ ref('clv_backtest') }}

),

clv_customer_scores as (

    select * from {{ ref('clv_customer_scores') }}

),

-- customers each candidate scored at as_of_date (btyd_corrected publishes wherever btyd does)
scored_at_as_of as (

    select
        {%- for model in candidates %}
            count(revenue_{{ 'btyd' if model == 'btyd_corrected' else model }}) as scored_by_{{ model }},
        {%- endfor %}
        count(*) as customers

    from clv_customer_scores
    where snapshot_name = 'scoring'

),

publishable as (

    {%- for model in candidates %}
        select '{{ model }}' as model_name from scored_at_as_of
        where scored_by_{{ model }} > 0
        {{- "\n    union all" if not loop.last }}
    {%- endfor %}

),

options as (

    select
        *,
        abs(aggregate_revenue_error) <= {{ clv_selection_max_aggregate_error }} as is_unbiased

    from clv_candidate_metrics
    where
        aggregate_revenue_error is not null
        and model_name in (select publishable.model_name from publishable)
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
                -- aggregate errors within a millionth are a tie, which the lower MAE breaks
                case when is_unbiased then mae else round(abs(aggregate_revenue_error), 6) end,
                mae,
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
        coalesce(ranked_options.model_name, '{{ clv_default_model() }}') as published_model

    from backtest_groups
    left join ranked_options
        on
            backtest_groups.customer_group = ranked_options.metric_group
            and ranked_options.option_rank = 1

)

select * from chosen
