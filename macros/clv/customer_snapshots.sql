{#- Customers' RFM summaries at snapshots before as_of_date, in one pass over the purchase
    days. `snapshots` maps a snapshot name to how many horizons before as_of_date it is taken
    (0, 1, 2); `horizon` names the column of `as_of` (int_as_of_date) that holds the horizon in
    days, read when the query runs (a null horizon gives no rows: no honest backtest). The
    result has one row per (snapshot_name, customer_id) for customers who had bought by then.

    Times are in days. frequency, recency_days, t_days and monetary_value follow lifetimes:
    frequency = repeat purchase days, recency_days = first to last purchase day,
    t_days = first purchase day to the snapshot, monetary_value = mean net spend of the
    repeat purchase days (purchase orders only; 0 for one-time buyers). Days with only
    credits (returns) are not purchase days; they count in total_net_revenue,
    returned_amount and the revenue targets. Target columns (what the customer did in the
    horizon after the snapshot) are null where that horizon is not complete by as_of_date.

    Whether a snapshot's target is complete is known when the SQL is compiled (a snapshot at
    least one horizon before as_of_date), so incomplete targets are not aggregated at all.

    Every snapshot's measures are conditional aggregates of the same pass (columns
    <snapshot>__<measure>), unpivoted to rows afterwards: joining the days to each snapshot
    date instead would multiply the rows to aggregate.

    sample_size: each snapshot keeps only the first sample_size of its customers in
    sample_order (md5 of customer_id and random_seed), chosen from int_customers' first purchase
    date before anything is aggregated, so the days of the others are never read. Ranked among
    the snapshot's customers, these are the same customers the fit samples (clv_fit_sample)
    would draw first from the whole snapshot. -#}
{% macro customer_snapshots(snapshots, order_days, customers, as_of, horizon='horizon_days', sample_size=none) %}

{#- measure: (aggregate, which days of the snapshot it reads, value on such a day); 'money'
    is an exact sum (sum_money).
    history = on or before the snapshot; last_horizon = the horizon_days up to it;
    target = the horizon_days after it. -#}
{%- set measures = {
    'first_order_date': ('min', 'history', 'case when is_purchase_day then order_date end'),
    'last_order_date': ('max', 'history', 'case when is_purchase_day then order_date end'),
    'second_order_date': ('min', 'history', 'case when is_purchase_day and not is_first_purchase_day then order_date end'),
    'purchase_days': ('sum', 'history', 'case when is_purchase_day then 1 else 0 end'),
    'order_count': ('sum', 'history', 'order_count'),
    'total_net_revenue': ('money', 'history', 'net_amount'),
    'purchase_amount': ('money', 'history', 'purchase_amount'),
    'first_purchase_value': ('money', 'history', 'case when is_first_purchase_day then purchase_amount else 0 end'),
    'returned_amount': ('money', 'history', '-credit_amount'),
    'gross_amount': ('money', 'history', 'gross_amount'),
    'discount_amount': ('money', 'history', 'discount_amount'),
    'revenue_last_horizon': ('money', 'last_horizon', 'net_amount'),
    'purchases_last_horizon': ('sum', 'last_horizon', 'case when is_purchase_day then 1 else 0 end'),
    'target_purchases': ('sum', 'target', 'case when is_purchase_day then 1 else 0 end'),
    'target_revenue': ('money', 'target', 'net_amount'),
} -%}

with

order_days as (

    select * from {{ order_days }}

),

customers as (

    select * from {{ customers }}

),

as_of as (

    select * from {{ as_of }}

),

snapshot_dates as (

    select
        {% for name, horizons_back in snapshots.items() -%}
            {{ add_days('as_of_date', '-' ~ horizons_back ~ ' * ' ~ horizon) }} as {{ name }}_date,
        {% endfor -%}
        {{ dbt.cast(horizon, dbt.type_int()) }} as horizon_days

    from as_of

),

{%- if sample_size %}
{%- for name in snapshots %}

{{ name }}__sample as (

    {{ first_in_sample_order(
        'customers', sample_size, where='first_order_date <= (select ' ~ name ~ '_date from snapshot_dates)'
    ) | indent(4) }}

),
{%- endfor %}

sampled_customers as (

    select
        customers.*,
        {%- for name in snapshots %}
        {{ name }}__sample.customer_id is not null as {{ name }}__sampled{{ "," if not loop.last }}
        {%- endfor %}

    from customers
    {%- for name in snapshots %}
    left join {{ name }}__sample
        on customers.customer_id = {{ name }}__sample.customer_id
    {%- endfor %}

),
{%- endif %}

days_in_windows as (

    select
        order_days.customer_id,
        order_days.order_date,
        order_days.order_count,
        order_days.gross_amount,
        order_days.discount_amount,
        order_days.purchase_amount,
        order_days.credit_amount,
        order_days.net_amount,
        order_days.is_purchase_day,
        order_days.is_purchase_day and order_days.order_date = customers.first_order_date
            as is_first_purchase_day,
        {% for name in snapshots -%}
            {%- set sampled = ' and customers.' ~ name ~ '__sampled' if sample_size else '' %}
            order_days.order_date <= snapshot_dates.{{ name }}_date{{ sampled }} as {{ name }}__history,
            (
                order_days.order_date > {{ add_days('snapshot_dates.' ~ name ~ '_date', '-snapshot_dates.horizon_days') }}
                and order_days.order_date <= snapshot_dates.{{ name }}_date{{ sampled }}
            ) as {{ name }}__last_horizon,
            (
                order_days.order_date > snapshot_dates.{{ name }}_date
                and order_days.order_date
                <= {{ add_days('snapshot_dates.' ~ name ~ '_date', 'snapshot_dates.horizon_days') }}{{ sampled }}
            ) as {{ name }}__target{{ "," if not loop.last }}
        {% endfor %}

    from order_days
    inner join {{ 'sampled_customers' if sample_size else 'customers' }} as customers
        on order_days.customer_id = customers.customer_id
    cross join snapshot_dates
    {%- if sample_size %}
    where {% for name in snapshots %}customers.{{ name }}__sampled{{ " or " if not loop.last }}{% endfor %}
    {%- endif %}

),

summarised as (

    select
        {% for name, horizons_back in snapshots.items() -%}
            {%- for measure, (aggregate, window, value) in measures.items() %}
                {%- if window != 'target' or horizons_back >= 1 %}
                {%- set when_in_window = 'case when ' ~ name ~ '__' ~ window ~ ' then ' ~ value %}
                {%- if aggregate == 'money' %}
                {{ sum_money(when_in_window ~ ' else 0 end') }} as {{ name }}__{{ measure }},
                {%- else %}
                {{ aggregate }}({{ when_in_window }}{% if aggregate == 'sum' %} else 0{% endif %} end)
                as {{ name }}__{{ measure }},
                {%- endif %}
                {%- endif %}
            {%- endfor %}
        {% endfor -%}
        customer_id

    from days_in_windows
    group by customer_id

),

unpivoted as (

    {% for name, horizons_back in snapshots.items() -%}
        select
            '{{ name }}' as snapshot_name,
            snapshot_dates.{{ name }}_date as snapshot_date,
            snapshot_dates.horizon_days,
            summarised.customer_id,
            {%- for measure, (aggregate, window, value) in measures.items() %}
                {%- if window != 'target' or horizons_back >= 1 %}
                summarised.{{ name }}__{{ measure }} as {{ measure }}{{ "," if not loop.last }}
                {%- else %}
                -- The horizon after this snapshot ends after as_of_date: no complete target.
                null as {{ measure }}{{ "," if not loop.last }}
                {%- endif %}
            {%- endfor %}

        from summarised
        cross join snapshot_dates
        -- Customers whose first purchase is after the snapshot have no row in it.
        where summarised.{{ name }}__first_order_date is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

snapshot_features as (

    select
        unpivoted.snapshot_name,
        unpivoted.snapshot_date,
        unpivoted.customer_id,
        unpivoted.first_order_date,
        unpivoted.last_order_date,
        {{ dbt.cast('unpivoted.purchase_days - 1', dbt.type_int()) }} as frequency,
        {{ days_between('unpivoted.first_order_date', 'unpivoted.last_order_date') }} as recency_days,
        {{ days_between('unpivoted.first_order_date', 'unpivoted.snapshot_date') }} as t_days,
        {{ days_between('unpivoted.last_order_date', 'unpivoted.snapshot_date') }} as days_since_last_order,
        {{ days_between('unpivoted.first_order_date', 'unpivoted.second_order_date') }}
            as days_to_second_purchase,
        {{ dbt.cast('unpivoted.order_count', dbt.type_int()) }} as order_count,
        unpivoted.total_net_revenue,
        case
            when unpivoted.purchase_days > 1
                then
                    (unpivoted.purchase_amount - unpivoted.first_purchase_value)
                    / (unpivoted.purchase_days - 1)
            else 0
        end as monetary_value,
        unpivoted.total_net_revenue / unpivoted.order_count as avg_order_value,
        case
            when unpivoted.gross_amount > 0
                then unpivoted.discount_amount / unpivoted.gross_amount
            else 0
        end as discount_share,
        unpivoted.first_purchase_value,
        unpivoted.returned_amount,
        unpivoted.returned_amount / unpivoted.purchase_amount as return_share,
        unpivoted.revenue_last_horizon,
        {{ dbt.cast('unpivoted.purchases_last_horizon', dbt.type_int()) }} as purchases_last_horizon,
        customers.acquisition_channel,
        customers.region,
        unpivoted.horizon_days,
        {{ dbt.cast('unpivoted.target_purchases', dbt.type_int()) }} as target_purchases,
        unpivoted.target_revenue

    from unpivoted
    inner join customers
        on unpivoted.customer_id = customers.customer_id

)

select * from snapshot_features

{% endmacro %}
