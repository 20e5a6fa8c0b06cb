{#- One row per customer of customer_rfm: the nearest centroid of segmentation_centroids (K-Means
    fitted on the seeded sample), in the standardised feature space the centroids live in:
    z = ((log1p(x) if log-transformed else x) - mean) / std per used feature, Euclidean
    distance, lowest segment_id on a tie (as K-Means' predict). With one segment the distance
    is 0. The segment's action comes from the segment_actions seed, here in the lineage.
    A customer without a purchase (customer_rfm.has_purchase false) is in no K-Means segment:
    segment_id 0, its RFM segment's name ('No purchase', from the rfm_segments seed) and that
    name's action; no distance. -#}

{%- set features = clv_var('segmentation_features') %}

with

customer_rfm as (

    select * from {{ ref('customer_rfm') }}

),

segmentation_centroids as (

    select * from {{ ref('segmentation_centroids') }}

),

segment_actions as (

    select * from {{ ref('segment_actions') }}

),

segments as (

    select
        segment_id,
        segment_name,
        segment_base_name,
        k,
        model_version,
        {%- for feature in features %}
            max(case when feature_name = '{{ feature }}' and is_used then 1.0 else 0.0 end)
                as weight_{{ feature }},
            max(case when feature_name = '{{ feature }}' and is_log_transformed then 1 else 0 end)
                as is_log_{{ feature }},
            max(case when feature_name = '{{ feature }}' then feature_mean end) as mean_{{ feature }},
            max(case when feature_name = '{{ feature }}' then feature_std end) as std_{{ feature }},
            max(case when feature_name = '{{ feature }}' then center end) as center_{{ feature }},
        {%- endfor %}
        count(*) as feature_rows

    from segmentation_centroids
    group by 1, 2, 3, 4, 5

),

distances as (

    select
        customer_rfm.customer_id,
        segments.segment_id,
        segments.segment_name,
        segments.segment_base_name,
        segments.k,
        segments.model_version,
        sqrt(
            0
            {%- for feature in features %}
                + segments.weight_{{ feature }} * power(
                    (
                        case
                            when segments.is_log_{{ feature }} = 1
                                then ln(1 + coalesce(customer_rfm.{{ feature }}, 0))
                            else coalesce(customer_rfm.{{ feature }}, 0)
                        end - segments.mean_{{ feature }}
                    ) / segments.std_{{ feature }} - segments.center_{{ feature }},
                    2
                )
            {%- endfor %}
        ) as distance

    from customer_rfm
    cross join segments
    where customer_rfm.has_purchase

),

nearest as (

    select
        *,
        row_number() over (partition by customer_id order by distance, segment_id) as distance_rank

    from distances

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
        cast(case when nearest.k > 1 then nearest.distance when nearest.k = 1 then 0 end as double)
            as distance_to_centroid,
        customer_rfm.as_of_date,
        nearest.model_version,
        {{ run_started_at_utc() }} as scored_at

    from customer_rfm
    left join nearest
        on
            customer_rfm.customer_id = nearest.customer_id
            and nearest.distance_rank = 1
    left join segment_actions
        on coalesce(nearest.segment_base_name, customer_rfm.rfm_segment) = segment_actions.segment_name

)

select * from final
