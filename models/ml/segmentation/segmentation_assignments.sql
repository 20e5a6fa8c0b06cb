{#- Each customer with a purchase in the K-Means segment of the nearest centroid of
    segmentation_centroids (fitted on the seeded sample), in the standardised feature space the
    centroids live in: z = ((log1p(x) if log-transformed else x) - mean) / std per used
    feature, Euclidean distance, lowest segment_id on a tie (as K-Means' predict). With one
    segment the distance is 0. A feature is log-transformed only when the sample's values were
    all non-negative; a customer outside the sample below 0 there reads as 0 (ln of a value
    at or below -1 would fail the build on Snowflake). python_utils.segmentation.nearest_centroids is the oracle the
    tests hold it to. -#}

{#- A view: one model reads it, and a table would only add a write. -#}
{{ config(materialized='view') }}

{%- set features = clv_var('segmentation_features') %}

with

int_customers_rfm_scored as (

    select * from {{ ref('int_customers_rfm_scored') }}

),

segmentation_centroids as (

    select * from {{ ref('segmentation_centroids') }}

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
        int_customers_rfm_scored.customer_id,
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
                                then ln(1 + greatest(coalesce(int_customers_rfm_scored.{{ feature }}, 0), 0))
                            else coalesce(int_customers_rfm_scored.{{ feature }}, 0)
                        end - segments.mean_{{ feature }}
                    ) / segments.std_{{ feature }} - segments.center_{{ feature }},
                    2
                )
            {%- endfor %}
        ) as distance

    from int_customers_rfm_scored
    cross join segments
    where int_customers_rfm_scored.has_purchase

),

nearest as (

    select
        *,
        row_number() over (partition by customer_id order by distance, segment_id) as distance_rank

    from distances

),

final as (

    select
        customer_id,
        segment_id,
        segment_name,
        segment_base_name,
        model_version,
        cast(case when k > 1 then distance when k = 1 then 0 end as double) as distance_to_centroid

    from nearest
    where distance_rank = 1

)

select * from final
