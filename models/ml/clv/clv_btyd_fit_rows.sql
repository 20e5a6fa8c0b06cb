{#- What BG/NBD and Gamma-Gamma are fitted on, per snapshot: weighted distinct rows (customers
    with equal statistics collapse into one row with their count), so Python reads rows that
    grow with the days of history, not with customers. BG/NBD: distinct (frequency,
    recency_days, t_days). Gamma-Gamma: repeat buyers' distinct (frequency, monetary_value);
    when a snapshot has more than btyd_max_fit_rows of those, monetary values are rounded to 4
    significant digits (at most 0.005% each) to keep them bounded. -#}

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

repeat_spend as (

    select
        snapshot_name,
        frequency,
        monetary_value,
        count(*) as weight

    from clv_snapshots
    where frequency > 0 and monetary_value > 0
    group by 1, 2, 3

),

distinct_rows as (

    select
        snapshot_name,
        count(*) as rows_found

    from repeat_spend
    group by 1

),

rounded as (

    select
        repeat_spend.snapshot_name,
        repeat_spend.frequency,
        case
            when distinct_rows.rows_found > {{ clv_var('btyd_max_fit_rows') }}
                then
                    round(
                        repeat_spend.monetary_value
                        / power(10, floor(ln(repeat_spend.monetary_value) / ln(10)) - 3)
                    )
                    * power(10, floor(ln(repeat_spend.monetary_value) / ln(10)) - 3)
            else repeat_spend.monetary_value
        end as monetary_value,
        repeat_spend.weight

    from repeat_spend
    inner join distinct_rows
        on repeat_spend.snapshot_name = distinct_rows.snapshot_name

),

gamma_gamma as (

    select
        snapshot_name,
        'gamma_gamma' as model_name,
        frequency,
        {{ dbt.cast('null', dbt.type_int()) }} as recency_days,
        {{ dbt.cast('null', dbt.type_int()) }} as t_days,
        monetary_value,
        sum(weight) as weight

    from rounded
    group by 1, 2, 3, 4, 5, 6

),

unioned as (

    select * from bgnbd
    union all
    select * from gamma_gamma

)

select * from unioned
