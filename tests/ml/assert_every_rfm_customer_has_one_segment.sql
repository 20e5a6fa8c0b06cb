{#- Coverage both ways: every customer of customer_rfm has exactly one segment row. -#}

with

rfm as (

    select customer_id from {{ ref('customer_rfm') }}

),

segments as (

    select customer_id, count(*) as segment_rows
    from {{ ref('customer_segments') }}
    group by 1

),

mismatched as (

    select
        rfm.customer_id,
        coalesce(segments.segment_rows, 0) as segment_rows

    from rfm
    left join segments
        on rfm.customer_id = segments.customer_id

)

select * from mismatched
where segment_rows != 1
