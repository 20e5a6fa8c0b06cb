{#- One row per day: the time spine MetricFlow joins metrics to (dbt's semantic layer). -#}
{{ config(materialized='table') }}

with days as (

    {{ dbt.date_spine('day', "cast('2000-01-01' as date)", "cast('2036-01-01' as date)") }}

)

select cast(date_day as date) as date_day
from days
