{#- One row per customer of customer_rfm: the K-Means segment segmentation_assignments put the
    customer in (the nearest centroid), and the segment's action from the segment_actions seed,
    here in the lineage. A customer without a purchase (customer_rfm.has_purchase false) is in
    no K-Means segment: segment_id 0, its RFM segment's name ('No purchase', from the
    rfm_segments seed) and that name's action; no distance. -#}

with

customer_rfm as (

    select * from {{ ref('customer_rfm') }}

),

segmentation_assignments as (

    select * from {{ ref('segmentation_assignments') }}

),

segment_actions as (

    select * from {{ ref('segment_actions') }}

),

final as (

    select
        customer_rfm.customer_id,
        cast(coalesce(nearest.segment_id, 0) as {{ dbt.type_int() }}) as segment_id,
        coalesce(nearest.segment_name, customer_rfm.rfm_segment) as segment_name,
        segment_actions.segment_action,
        customer_rfm.recency_days,
        customer_rfm.days_since_last_order,
        customer_rfm.frequency,
        customer_rfm.total_net_revenue as monetary,
        customer_rfm.avg_order_value,
        customer_rfm.discount_share,
        nearest.distance_to_centroid,
        customer_rfm.as_of_date,
        nearest.model_version,
        {{ run_started_at_utc() }} as scored_at

    from customer_rfm
    left join segmentation_assignments as nearest
        on customer_rfm.customer_id = nearest.customer_id
    left join segment_actions
        on coalesce(nearest.segment_base_name, customer_rfm.rfm_segment) = segment_actions.segment_name

)

select * from final
