{#- RFM summaries of each customer at three points in time, with what the customer did in the
    horizon after each point. One row per (snapshot_name, customer_id).

    - scoring:     at as_of_date                    (what the published models score)
    - calibration: at as_of_date - horizon_days     (backtest: fit here, score the holdout;
                                                      and XGBoost's training rows)
    - training:    at as_of_date - 2 * horizon_days (XGBoost's training rows in the backtest)

    Times are in days. frequency, recency_days, t_days and monetary_value follow lifetimes:
    frequency = repeat purchase days, recency_days = first to last purchase day,
    t_days = first purchase day to the snapshot, monetary_value = mean net revenue of the
    repeat purchase days (0 for one-time buyers). Target columns are null where the horizon
    after the snapshot is not complete by as_of_date. -#}

{%- set horizon = var('horizon_days') | int -%}

with

purchase_days as (

    select * from {{ ref('int_customer_purchase_days') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

snapshots as (

    select
        'scoring' as snapshot_name,
        as_of_date as snapshot_date,
        as_of_date
    from as_of
    union all
    select
        'calibration' as snapshot_name,
        {{ add_days('as_of_date', -horizon) }} as snapshot_date,
        as_of_date
    from as_of
    union all
    select
        'training' as snapshot_name,
        {{ add_days('as_of_date', -2 * horizon) }} as snapshot_date,
        as_of_date
    from as_of

),

windowed as (

    select
        snapshots.snapshot_name,
        snapshots.snapshot_date,
        snapshots.as_of_date,
        purchase_days.*,
        purchase_days.order_date <= snapshots.snapshot_date as is_history,
        (
            purchase_days.order_date > {{ add_days('snapshots.snapshot_date', -horizon) }}
            and purchase_days.order_date <= snapshots.snapshot_date
        ) as is_last_horizon

    from snapshots
    inner join purchase_days
        on purchase_days.order_date <= {{ add_days('snapshots.snapshot_date', horizon) }}

),

summarised as (

    select
        snapshot_name,
        snapshot_date,
        as_of_date,
        customer_id,
        min(case when is_history then order_date end) as first_order_date,
        max(case when is_history then order_date end) as last_order_date,
        min(case when is_history and not is_first_purchase_day then order_date end)
            as second_order_date,
        sum(case when is_history then 1 else 0 end) as purchase_days,
        sum(case when is_history then order_count else 0 end) as order_count,
        sum(case when is_history then net_amount else 0 end) as total_net_revenue,
        sum(case when is_history and is_first_purchase_day then net_amount else 0 end)
            as first_purchase_value,
        sum(case when is_history then gross_amount else 0 end) as gross_amount,
        sum(case when is_history then discount_amount else 0 end) as discount_amount,
        sum(case when is_last_horizon then net_amount else 0 end) as revenue_last_horizon,
        sum(case when is_last_horizon then 1 else 0 end) as purchases_last_horizon,
        sum(case when not is_history then 1 else 0 end) as target_purchases,
        sum(case when not is_history then net_amount else 0 end) as target_revenue

    from windowed
    group by 1, 2, 3, 4

),

snapshot_features as (

    select
        summarised.snapshot_name,
        summarised.snapshot_date,
        summarised.customer_id,
        summarised.first_order_date,
        summarised.last_order_date,
        {{ dbt.cast('summarised.purchase_days - 1', dbt.type_int()) }} as frequency,
        {{ days_between('summarised.first_order_date', 'summarised.last_order_date') }} as recency_days,
        {{ days_between('summarised.first_order_date', 'summarised.snapshot_date') }} as t_days,
        {{ days_between('summarised.last_order_date', 'summarised.snapshot_date') }} as days_since_last_order,
        {{ days_between('summarised.first_order_date', 'summarised.second_order_date') }}
            as days_to_second_purchase,
        {{ dbt.cast('summarised.order_count', dbt.type_int()) }} as order_count,
        summarised.total_net_revenue,
        case
            when summarised.purchase_days > 1
                then
                    (summarised.total_net_revenue - summarised.first_purchase_value)
                    / (summarised.purchase_days - 1)
            else 0
        end as monetary_value,
        summarised.total_net_revenue / summarised.order_count as avg_order_value,
        case
            when summarised.gross_amount > 0
                then summarised.discount_amount / summarised.gross_amount
            else 0
        end as discount_share,
        summarised.first_purchase_value,
        summarised.revenue_last_horizon,
        {{ dbt.cast('summarised.purchases_last_horizon', dbt.type_int()) }} as purchases_last_horizon,
        customers.acquisition_channel,
        customers.region,
        {{ dbt.cast(horizon, dbt.type_int()) }} as horizon_days,
        case
            when {{ add_days('summarised.snapshot_date', horizon) }} <= summarised.as_of_date
                then {{ dbt.cast('summarised.target_purchases', dbt.type_int()) }}
        end as target_purchases,
        case
            when {{ add_days('summarised.snapshot_date', horizon) }} <= summarised.as_of_date
                then summarised.target_revenue
        end as target_revenue

    from summarised
    inner join customers
        on summarised.customer_id = customers.customer_id
    where summarised.first_order_date is not null

)

select * from snapshot_features
