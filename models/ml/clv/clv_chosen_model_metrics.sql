{#- The backtest metrics of the model chosen per customer group (model_name 'published'),
    with the cross-fitted coverage of its interval: offsets fitted on one seeded half of the
    customers, measured on the other. 'all' carries the choice of every group as JSON. -#}

{#- A view: one model reads it, and a table would only add a write. -#}
{{ config(materialized='view') }}

{%- set clv_interval_coverage = clv_var('clv_interval_coverage') %}

with

clv_backtest as (

    select * from {{ ref('clv_backtest') }}

),

chosen as (

    select * from {{ ref('clv_chosen_models') }}

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
        {{ customer_group_id('customer_group') }} as group_id,
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

    {{ interval_offsets('half_binned', 'metric_group, is_first_half', clv_interval_coverage) | indent(4) }}

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
        -- {"repeat": ..., "one_time": ..., "new": ...}: the groups the backtest has, in that
        -- order; each piece starts with ', ' and the first one's is cut off
        '{'
        || substr(
            {%- for group in clv_customer_groups() %}
                coalesce(max(
                    case
                        when customer_group = '{{ group }}'
                            then ', "{{ group }}": "' || published_model || '"'
                    end
                ), '')
                {{- " ||" if not loop.last }}
            {%- endfor %},
            3
        )
        || '}' as published_model

    from chosen

),

chosen_metrics as (

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

)

select * from chosen_metrics
