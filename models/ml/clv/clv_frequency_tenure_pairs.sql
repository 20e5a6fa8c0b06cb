{#- The distinct (frequency, t_days) of each snapshot: BG/NBD's hypergeometric term depends on
    these alone, so Python computes it once per pair (clv_bgnbd_terms), a number that grows with
    the days of history, not with customers. -#}
{{ config(materialized='view') }}

with

clv_snapshots as (

    select * from {{ ref('clv_snapshots') }}

),

pairs as (

    select distinct
        snapshot_name,
        frequency,
        t_days,
        horizon_days

    from clv_snapshots

)

select * from pairs
