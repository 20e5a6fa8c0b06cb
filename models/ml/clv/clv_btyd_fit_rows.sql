{#- What BG/NBD and Gamma-Gamma are fitted on, per snapshot: weighted distinct rows (customers
    with equal statistics collapse into one row with their count). BG/NBD: distinct (frequency,
    recency_days, t_days). Gamma-Gamma: repeat buyers' distinct (frequency, monetary_value).
    clv_btyd_fits reads a fit's rows when there are at most btyd_max_fit_rows of them, and has
    the warehouse sum its likelihood over them otherwise. -#}

with

clv_snapshots as (

    select * from {{ ref('clv_snapshots') }}

),

bgnbd as (

    select
        snapshot_name,
        'bgnbd' as model_name,
        frequency,
        recency_days,
        t_days,
        cast(null as double) as monetary_value,
        count(*) as weight

    from clv_snapshots
    group by 1, 2, 3, 4, 5, 6

),

gamma_gamma as (

    select
        snapshot_name,
        'gamma_gamma' as model_name,
        frequency,
        {{ dbt.cast('null', dbt.type_int()) }} as recency_days,
        {{ dbt.cast('null', dbt.type_int()) }} as t_days,
        monetary_value,
        count(*) as weight

    from clv_snapshots
    where frequency > 0 and monetary_value > 0
    group by 1, 2, 3, 4, 5, 6

),

unioned as (

    select * from bgnbd
    union all
    select * from gamma_gamma

)

select * from unioned
