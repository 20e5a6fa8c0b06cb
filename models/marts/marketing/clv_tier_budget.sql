{#- The marketing budget (var marketing_budget, US dollars per horizon) split across CLV tiers
    by the tier_budget_split seed (default 50/35/15 across High/Mid/Low), with the spend per
    customer and the predicted revenue each dollar is set against. -#}
with

predictions as (

    select * from {{ ref('clv_predictions') }}

),

split as (

    select * from {{ ref('tier_budget_split') }}

),

tiers as (

    select
        clv_tier,
        count(*) as customers,
        sum(predicted_revenue) as predicted_revenue,
        sum(predicted_clv) as predicted_clv
    from predictions
    group by 1

)

select
    split.clv_tier,
    {{ clv_tier_rank('split.clv_tier') }} as clv_tier_rank,
    split.budget_share,
    split.budget_share * {{ clv_var('marketing_budget') }} as budget,
    coalesce(tiers.customers, 0) as customers,
    split.budget_share * {{ clv_var('marketing_budget') }} / nullif(tiers.customers, 0) as spend_per_customer,
    coalesce(tiers.predicted_revenue, 0) as predicted_revenue,
    coalesce(tiers.predicted_clv, 0) as predicted_clv
from split
left join tiers on split.clv_tier = tiers.clv_tier
