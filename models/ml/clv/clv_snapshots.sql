{#- Every snapshot the CLV models fit or score on, one row per (snapshot_name, customer_id):
    scoring (customer_rfm at as_of_date, horizon_days ahead) and the backtest's calibration
    and training snapshots (int_customer_snapshots, backtest horizon ahead, with targets). -#}

{%- set columns = clv_feature_columns() %}

with

customer_rfm as (

    select * from {{ ref('customer_rfm') }}

),

int_customer_snapshots as (

    select * from {{ ref('int_customer_snapshots') }}

),

int_as_of_date as (

    select * from {{ ref('int_as_of_date') }}

),

scoring as (

    select
        'scoring' as snapshot_name,
        customer_rfm.as_of_date as snapshot_date,
        int_as_of_date.horizon_days,
        {%- for column in columns %}
            customer_rfm.{{ column }},
        {%- endfor %}
        {{ dbt.cast('null', dbt.type_int()) }} as target_purchases,
        cast(null as double) as target_revenue

    from customer_rfm
    cross join int_as_of_date
    -- the CLV models fit and score customers with a purchase; clv_predictions values the rest
    where customer_rfm.has_purchase

),

backtest as (

    select
        snapshot_name,
        snapshot_date,
        horizon_days,
        {%- for column in columns %}
            {{ column }},
        {%- endfor %}
        target_purchases,
        target_revenue

    from int_customer_snapshots

),

unioned as (

    select * from scoring
    union all
    select * from backtest

)

select * from unioned
