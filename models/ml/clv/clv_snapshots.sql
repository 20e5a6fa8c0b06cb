{#- Every snapshot the CLV models fit or score on, one row per (snapshot_name, customer_id):
    scoring (int_customers_rfm_scored at as_of_date, horizon_days ahead) and the backtest's calibration
    and training snapshots (int_customer_snapshots, backtest horizon ahead, with targets). -#}

{%- set columns = clv_feature_columns() %}

with

int_customers_rfm_scored as (

    select * from {{ ref('int_customers_rfm_scored') }}

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
        int_customers_rfm_scored.as_of_date as snapshot_date,
        int_as_of_date.horizon_days,
        {%- for column in columns %}
            int_customers_rfm_scored.{{ column }},
        {%- endfor %}
        {{ dbt.cast('null', dbt.type_int()) }} as target_purchases,
        cast(null as double) as target_revenue

    from int_customers_rfm_scored
    cross join int_as_of_date
    -- the CLV models fit and score customers with a purchase; clv_predictions values the rest
    where int_customers_rfm_scored.has_purchase

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
