{#- One row per order with a purchase event on or before as_of. An order is
    (user_id, order_id); a purchase event without an order_id is an order of its own.
    Revenue is the sum over the order's purchase events (null revenue counts as 0); its time
    is its earliest event. Only the order's events on or before as_of count. The benefit
    columns: whether any of its purchase events carries a discount, and the exact sums of
    price x quantity and of quantity over its events with a valid price (null when none). -#}

with

order_days as (
    select * from {{ ref('int_order_days') }}
    where {{ as_of_cut('order_date') }}
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
        {{ exact_sum('revenue') }} as revenue,
        sum(discounted_events) > 0 as is_discounted,
        sum(priced_value) as priced_value,
        sum(priced_quantity) as priced_quantity
    from order_days
    group by user_id, order_key
)

select * from final
