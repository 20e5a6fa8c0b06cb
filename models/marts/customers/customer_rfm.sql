{#- One row per customer as of as_of_date: BTYD summary (lifetimes conventions, in days; the
    customer_snapshots macro, as for the backtest's snapshots), 1-5 R/F/M scores and a named
    RFM segment from the rfm_segments seed. The CLV models fit and score on this table.

    Scores use percent_rank so that tied customers share a score (ntile would split ties
    arbitrarily): score = 1 + floor(5 * percent_rank), capped at 5. R ranks recent buyers high;
    F ranks repeat purchase days; M ranks total net revenue. The ranks come from counts per
    distinct value (value_percent_ranks), the same numbers as the window function without
    sorting every customer. -#}

with

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

scoring as (

    {{ customer_snapshots(
        {'scoring': 0},
        order_days=ref('int_customer_order_days'),
        customers=ref('int_customers'),
        as_of=ref('int_as_of_date'),
    ) | indent(4) }}

),

recency_ranks as (

    {{ value_percent_ranks('scoring', 'days_since_last_order', descending=true) | indent(4) }}

),

frequency_ranks as (

    {{ value_percent_ranks('scoring', 'frequency') | indent(4) }}

),

monetary_ranks as (

    {{ value_percent_ranks('scoring', 'total_net_revenue') | indent(4) }}

),

ranked as (

    select
        scoring.*,
        recency_ranks.percent_rank as recency_rank,
        frequency_ranks.percent_rank as frequency_rank,
        monetary_ranks.percent_rank as monetary_rank

    from scoring
    left join recency_ranks
        on scoring.days_since_last_order = recency_ranks.days_since_last_order
    left join frequency_ranks
        on scoring.frequency = frequency_ranks.frequency
    left join monetary_ranks
        on scoring.total_net_revenue = monetary_ranks.total_net_revenue

),

scored as (

    select
        *,
        least(5, 1 + cast(floor(5 * recency_rank) as {{ dbt.type_int() }})) as r_score,
        least(5, 1 + cast(floor(5 * frequency_rank) as {{ dbt.type_int() }})) as f_score,
        least(5, 1 + cast(floor(5 * monetary_rank) as {{ dbt.type_int() }})) as m_score

    from ranked

),

final as (

    select
        scored.customer_id,
        scored.snapshot_date as as_of_date,
        scored.first_order_date,
        scored.last_order_date,
        scored.frequency,
        scored.recency_days,
        scored.t_days,
        scored.days_since_last_order,
        scored.days_to_second_purchase,
        scored.order_count,
        scored.monetary_value,
        scored.total_net_revenue,
        scored.avg_order_value,
        scored.discount_share,
        scored.first_purchase_value,
        scored.returned_amount,
        scored.return_share,
        scored.revenue_last_horizon,
        scored.purchases_last_horizon,
        scored.acquisition_channel,
        scored.region,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        {{ dbt.concat([
            dbt.cast("scored.r_score", api.Column.translate_type("string")),
            dbt.cast("scored.f_score", api.Column.translate_type("string")),
            dbt.cast("scored.m_score", api.Column.translate_type("string")),
        ]) }} as rfm_cell,
        rfm_segments.rfm_segment,
        rfm_segments.value_level as rfm_value_level

    from scored
    left join rfm_segments
        on
            scored.r_score = rfm_segments.r_score
            and scored.f_score = rfm_segments.f_score

)

select * from final
