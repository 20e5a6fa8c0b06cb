{#- One row per snapshot: what its fits and scores need besides customer rows. The shop's mean
    spend per purchase day (Gamma-Gamma's fallback), the population return rate and the weight
    of one median purchase (the shrinkage of each customer's return rate), and, from the
    earlier snapshot, the mean purchases of one-time buyers who came back (Cox's purchases per
    return). Spend is purchase spend before returns: net revenue + returned, at least 0. -#}

with

clv_snapshots as (

    select * from {{ ref('clv_snapshots') }}

),

spend as (

    select
        *,
        greatest(coalesce(returned_amount, 0), 0) as returned_spend,
        greatest(total_net_revenue + greatest(coalesce(returned_amount, 0), 0), 0) as purchase_spend

    from clv_snapshots

),

summarised as (

    select
        snapshot_name,
        max(snapshot_date) as snapshot_date,
        max(horizon_days) as horizon_days,
        count(*) as customers,
        sum(purchase_spend) as purchase_spend,
        sum(returned_spend) as returned_spend,
        sum(frequency + 1) as purchase_days,
        median(case when purchase_spend > 0 then purchase_spend end) as median_purchase_spend,
        avg(case when frequency = 0 and target_purchases > 0 then cast(target_purchases as double) end)
            as returning_purchases

    from spend
    group by 1

),

earlier as (

    select
        summarised.*,
        case summarised.snapshot_name
            when 'scoring' then 'calibration'
            when 'calibration' then 'training'
        end as earlier_snapshot_name

    from summarised

),

final as (

    select
        earlier.snapshot_name,
        earlier.snapshot_date,
        earlier.horizon_days,
        earlier.customers,
        case
            when earlier.purchase_days > 0 then earlier.purchase_spend / earlier.purchase_days else 0
        end as mean_spend,
        case
            when earlier.purchase_spend > 0 then earlier.returned_spend / earlier.purchase_spend else 0
        end as population_return_rate,
        coalesce(earlier.median_purchase_spend, 1.0) as return_rate_weight,
        coalesce(previous.returning_purchases, 1.0) as purchases_given_return

    from earlier
    left join summarised as previous
        on earlier.earlier_snapshot_name = previous.snapshot_name

)

select * from final
