{#- One row per customer as of as_of_date: BTYD summary (lifetimes conventions, in days; the
    customer_snapshots macro, as for the backtest's snapshots) and 1-5 R/F/M scores. What the
    CLV models (clv_snapshots), K-Means (segmentation_sample) and the customer_rfm mart read.

    Scores use percent_rank so that tied customers share a score (ntile would split ties
    arbitrarily): score = 1 + floor(5 * percent_rank), capped at 5. R ranks recent buyers high;
    F ranks repeat purchase days; M ranks total net revenue. The ranks come from counts per
    distinct value (value_percent_ranks), the same numbers as the window function without
    sorting every customer.

    Every customer with a kept line is here, so BI counts agree with dim_customers: one whose
    orders are all zero-value, fully refunded or credits (has_purchase false) has frequency 0,
    scores 0 and no BTYD summary. The ranks are among the customers with a purchase. -#}

with

int_customers as (

    select * from {{ ref('int_customers') }}

),

int_as_of_date as (

    select * from {{ ref('int_as_of_date') }}

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

-- Customers without a purchase: no purchase days, so no summary and no ranks.
not_purchasing as (

    select
        int_customers.customer_id,
        int_as_of_date.as_of_date as snapshot_date,
        cast(null as date) as first_order_date,
        cast(null as date) as last_order_date,
        0 as frequency,
        {{ dbt.cast('null', dbt.type_int()) }} as recency_days,
        {{ dbt.cast('null', dbt.type_int()) }} as t_days,
        {{ dbt.cast('null', dbt.type_int()) }} as days_since_last_order,
        {{ dbt.cast('null', dbt.type_int()) }} as days_to_second_purchase,
        0 as order_count,
        0.0 as monetary_value,
        int_customers.total_net_revenue,
        cast(null as double) as avg_order_value,
        cast(null as double) as discount_share,
        cast(null as double) as first_purchase_value,
        int_customers.returned_amount,
        cast(null as double) as return_share,
        cast(null as double) as revenue_last_horizon,
        0 as purchases_last_horizon,
        int_customers.acquisition_channel,
        int_customers.region,
        0 as r_score,
        0 as f_score,
        0 as m_score

    from int_customers
    cross join int_as_of_date
    where int_customers.purchase_days = 0

),

all_customers as (

    select
        {%- for column in ['customer_id', 'snapshot_date', 'first_order_date', 'last_order_date', 'frequency',
            'recency_days', 't_days', 'days_since_last_order', 'days_to_second_purchase', 'order_count',
            'monetary_value', 'total_net_revenue', 'avg_order_value', 'discount_share', 'first_purchase_value',
            'returned_amount', 'return_share', 'revenue_last_horizon', 'purchases_last_horizon',
            'acquisition_channel', 'region', 'r_score', 'f_score', 'm_score'] %}
            {{ column }},
        {%- endfor %}
        true as has_purchase

    from scored

    union all

    select
        *,
        false as has_purchase

    from not_purchasing

),

final as (

    select
        customer_id,
        snapshot_date as as_of_date,
        first_order_date,
        last_order_date,
        frequency,
        recency_days,
        t_days,
        days_since_last_order,
        days_to_second_purchase,
        order_count,
        monetary_value,
        total_net_revenue,
        avg_order_value,
        discount_share,
        first_purchase_value,
        returned_amount,
        return_share,
        revenue_last_horizon,
        purchases_last_horizon,
        acquisition_channel,
        region,
        r_score,
        f_score,
        m_score,
        has_purchase,
        {{ dbt.concat([
            dbt.cast("r_score", api.Column.translate_type("string")),
            dbt.cast("f_score", api.Column.translate_type("string")),
            dbt.cast("m_score", api.Column.translate_type("string")),
        ]) }} as rfm_cell

    from all_customers

)

select * from final
