{#- Each customer with a purchase: the revenue over the next horizon_days from the model
    clv_model_metrics chose for the customer's group (the catalogue's default model when that
    one could not be fitted at as_of_date), and its interval. btyd_corrected scales btyd by the
    ratio of actual to predicted revenue btyd had in the backtest (bias_ratios).
    [revenue_lower, revenue_upper] is split-conformal: the backtest residuals of the chosen
    model per group and prediction bin (macros/clv/backtest_metrics.sql). clv_predictions
    discounts, tiers and names these. -#}

{#- A view: one model reads it, and a table would only add a write. -#}
{{ config(materialized='view') }}

{%- set models = clv_candidates() %}
{%- set default = clv_default_model() %}

with

clv_customer_scores as (

    select * from {{ ref('clv_customer_scores') }}

),

clv_backtest as (

    select * from {{ ref('clv_backtest') }}

),

clv_model_metrics as (

    select * from {{ ref('clv_model_metrics') }}

),

evidence as (

    select * from clv_model_metrics
    where model_name = 'published' and customer_group != 'all'

),

btyd_backtest as (

    select
        customer_group,
        actual_revenue,
        predicted_revenue

    from clv_model_metrics
    where model_name = 'btyd' and customer_group != 'all'

),

ratios as (

    {{ bias_ratios('btyd_backtest') | indent(4) }}

),

ratio_count as (

    select count(*) as groups_with_ratio from ratios

),

scoring as (

    select
        clv_customer_scores.*,
        case
            when ratio_count.groups_with_ratio > 0
                then clv_customer_scores.revenue_btyd * coalesce(ratios.bias_ratio, 1.0)
        end as revenue_btyd_corrected

    from clv_customer_scores
    left join ratios
        on clv_customer_scores.customer_group = ratios.customer_group
    cross join ratio_count
    where clv_customer_scores.snapshot_name = 'scoring'

),

scored_counts as (

    -- customers each model scored at as_of_date (a model not fitted scores nobody)
    select
        {%- for model in models %}
            count(revenue_{{ model }}) as scored_by_{{ model }},
        {%- endfor %}
        count(*) as customers

    from scoring

),

fitted_models as (

    {%- for model in models %}
        select '{{ model }}' as model_name from scored_counts
        where scored_by_{{ model }} > 0
        {{- "\n    union all" if not loop.last }}
    {%- endfor %}

),

chosen as (

    select
        evidence.customer_group,
        coalesce(fitted_models.model_name, '{{ default }}') as model_name

    from evidence
    left join fitted_models
        on evidence.published_model = fitted_models.model_name

),

published as (

    select
        scoring.*,
        coalesce(chosen.model_name, '{{ default }}') as model_name,
        greatest(coalesce(case coalesce(chosen.model_name, '{{ default }}')
            {%- for model in models %}
                when '{{ model }}' then scoring.revenue_{{ model }}
            {%- endfor %}
        end, 0), 0) as predicted_revenue

    from scoring
    left join chosen
        on scoring.customer_group = chosen.customer_group

),

-- The interval: residuals of the published model in the backtest, per group and prediction bin.
backtest_published as (

    select clv_backtest.* from clv_backtest
    inner join evidence
        on
            clv_backtest.customer_group = evidence.customer_group
            and clv_backtest.model_name = evidence.published_model

),

edges as (

    {{ interval_edges('backtest_published', 'customer_group') | indent(4) }}

),

binned as (

    select
        backtest_published.*,
        {{ interval_bin('backtest_published.predicted_revenue', 'edges') }} as interval_bin

    from backtest_published
    inner join edges
        on backtest_published.customer_group = edges.customer_group

),

offsets as (

    {{ interval_offsets('binned', 'customer_group', clv_var('clv_interval_coverage')) | indent(4) }}

),

intervals as (

    select
        published.*,
        -- Without backtest residuals for the group the interval is the estimate itself (a case,
        -- not coalesce: DuckDB's greatest skips nulls where Snowflake's returns null).
        case
            when whole.lower_offset is null then published.predicted_revenue
            else least(
                greatest(published.predicted_revenue + coalesce(in_bin.lower_offset, whole.lower_offset), 0),
                published.predicted_revenue
            )
        end as revenue_lower,
        case
            when whole.upper_offset is null then published.predicted_revenue
            else greatest(
                published.predicted_revenue + coalesce(in_bin.upper_offset, whole.upper_offset),
                published.predicted_revenue
            )
        end as revenue_upper

    from published
    left join edges
        on published.customer_group = edges.customer_group
    left join offsets as whole
        on published.customer_group = whole.customer_group and whole.interval_bin = -1
    left join offsets as in_bin
        on
            published.customer_group = in_bin.customer_group
            and in_bin.interval_bin = {{ interval_bin('published.predicted_revenue', 'edges') }}

),

final as (

    select
        customer_id,
        snapshot_name,
        customer_group,
        p_alive,
        expected_purchases,
        expected_avg_order_value,
        p_return_within_horizon,
        model_name,
        predicted_revenue,
        revenue_lower,
        revenue_upper

    from intervals

)

select * from final
