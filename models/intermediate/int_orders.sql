{#- One row per order with a purchase event on or before as_of. An order is
    (user_id, order_id); a purchase event without an order_id is an order of its own.
    Revenue is the sum over the order's purchase events (null revenue counts as 0); its time
    is its earliest event. Only the order's events on or before as_of count. -#}

with

order_days as (
    select * from {{ ref('int_order_days') }}
    where order_date <= {{ as_of_date() }}
),

final as (
    select
        user_id,
        order_key,
        max(order_id) as order_id,
        min(first_event_at) as ordered_at,
        min(order_date) as order_date,
        max(last_event_at) as last_event_at,
        cast(sum(purchase_events) as {{ dbt.type_bigint() }}) as purchase_events,
        {{ exact_sum('revenue') }} as revenue
    from order_days
    group by user_id, order_key
)

select * from final
