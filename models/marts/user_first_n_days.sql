{#- One row per user: what the user did in the first N days after first seen (days 0 .. N-1
    from first_seen_date, N = var first_n_days) and whether the var first_n_days_metric reached
    first_n_days_threshold there (docs/segments/product.md, section 2). -#}

{%- set n_days = product_int_var('first_n_days', 1) %}
{%- set metric_column = first_n_days_metric_column() %}
{%- set metric_name = product_var('first_n_days_metric') | string | trim | lower %}

with

users as (
    select
        user_id,
        as_of,
        first_seen_date,
        days_since_first_seen
    from {{ ref('fct_user_behavior') }}
),

orders as (
    select
        user_id,
        order_date,
        revenue
    from {{ ref('int_orders') }}
),

active_in_window as (
    -- the active days and key events (as counted by int_user_days_history) of days 0 .. N-1,
    -- summed up by int_user_activity
    select
        user_id,
        active_days_first_n_days as active_days,
        key_events_first_n_days as key_events
    from {{ ref('int_user_activity') }}
),

orders_in_window as (
    select
        orders.user_id,
        count(*) as orders,
        {{ exact_sum('orders.revenue') }} as revenue
    from orders
    inner join users on orders.user_id = users.user_id
    where
        {{ days_between('users.first_seen_date', 'orders.order_date') }}
        < {{ n_days }}
    group by orders.user_id
),

joined as (
    select
        users.user_id,
        users.as_of,
        users.first_seen_date,
        users.days_since_first_seen,
        coalesce(orders_in_window.revenue, 0) as revenue_first_n_days,
        coalesce(orders_in_window.orders, 0) as orders_first_n_days,
        coalesce(active_in_window.active_days, 0) as active_days_first_n_days,
        coalesce(active_in_window.key_events, 0) as key_events_first_n_days
    from users
    left join active_in_window on users.user_id = active_in_window.user_id
    left join orders_in_window on users.user_id = orders_in_window.user_id
),

final as (
    select
        user_id,
        as_of,
        first_seen_date,
        cast({{ dbt.dateadd('day', n_days - 1, 'first_seen_date') }} as date) as window_end_date,
        days_since_first_seen,
        days_since_first_seen >= {{ n_days }} - 1 as is_window_complete,
        revenue_first_n_days,
        orders_first_n_days,
        active_days_first_n_days,
        key_events_first_n_days,
        {{ n_days }} as first_n_days,
        '{{ metric_name }}' as first_n_days_metric,
        cast({{ product_number_var('first_n_days_threshold') }} as {{ type_double() }}) as first_n_days_threshold,
        {{ first_n_days_label(metric_column) }} as first_n_days_label
    from joined
)

select * from final
