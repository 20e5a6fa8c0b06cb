{#- One row per customer as of as_of_date: the BTYD summary and R/F/M scores of
    int_customers_rfm_scored, named by the rfm_segments seed (a customer without a purchase has
    scores 0 and the seed's segment for 0/0, 'No purchase'). -#}

with

int_customers_rfm_scored as (

    select * from {{ ref('int_customers_rfm_scored') }}

),

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

named as (

    select
        int_customers_rfm_scored.*,
        rfm_segments.rfm_segment,
        rfm_segments.value_level as rfm_value_level

    from int_customers_rfm_scored
    left join rfm_segments
        on
            int_customers_rfm_scored.r_score = rfm_segments.r_score
            and int_customers_rfm_scored.f_score = rfm_segments.f_score

)

select * from named
