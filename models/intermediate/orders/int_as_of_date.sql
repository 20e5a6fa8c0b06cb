{#- The point in time every model works at: the as_of_date var, or else the latest date of
    an order line that passes validation. One row, with the backtest's window.

    Backtest window (documented in docs/methodology.md): the backtest holds out the last
    horizon_days and fits on what came before. When the history (first valid order to
    as_of_date) is shorter than two horizons, the holdout shrinks to half the history, so
    calibration and holdout are equally long; below min_backtest_days of holdout there is no
    honest backtest: the models still fit on the whole history and publish as not_backtestable. -#}

{%- set horizon = clv_var('horizon_days') -%}
{%- set min_backtest_days = clv_var('min_backtest_days') -%}

with

flagged as (

    select * from {{ ref('int_order_lines_flagged') }}

),

valid_dates as (

    select
        min(cast(ordered_at as date)) as first_order_date,
        max(cast(ordered_at as date)) as latest_order_date

    from flagged
    where reject_reason is null

),

dated as (

    select
        coalesce({{ as_of_date_var() }}, latest_order_date) as as_of_date,
        first_order_date,
        latest_order_date,
        {{ horizon }} as horizon_days

    from valid_dates

),

history as (

    select
        *,
        {{ days_between('first_order_date', 'as_of_date') }} as history_days

    from dated

),

as_of as (

    select
        as_of_date,
        first_order_date,
        latest_order_date,
        horizon_days,
        history_days,
        case
            when history_days >= 2 * {{ horizon }} then {{ horizon }}
            when history_days >= 2 * {{ min_backtest_days }}
                then {{ dbt.cast('floor(history_days / 2)', dbt.type_int()) }}
        end as backtest_horizon_days,
        case
            when history_days >= 2 * {{ horizon }} then 'full'
            when history_days >= 2 * {{ min_backtest_days }} then 'shortened'
            else 'not_backtestable'
        end as backtest_window

    from history

)

select * from as_of
