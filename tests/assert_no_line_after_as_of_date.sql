{#- as_of_date is honoured: no mart holds anything after it. -#}

with

as_of as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

late_sales as (

    select
        'fct_sales' as model_name,
        count(*) as late_rows
    from {{ ref('fct_sales') }}
    cross join as_of
    where fct_sales.order_date > as_of.as_of_date

),

late_customers as (

    select
        'customer_rfm' as model_name,
        count(*) as late_rows
    from {{ ref('customer_rfm') }}
    cross join as_of
    where customer_rfm.last_order_date > as_of.as_of_date

),

late as (

    select * from late_sales
    union all
    select * from late_customers

)

select * from late
where late_rows > 0
