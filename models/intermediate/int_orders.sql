{#- One row per order. An order is (user_id, order_id); a purchase event without an
    order_id is an order of its own. Revenue is the sum over the order's purchase events
    (null revenue counts as 0); its time is its earliest event. -#}

with

purchases as (
    select * from {{ ref('stg_events') }}
    where is_purchase
),

keyed as (
    select
        *,
        coalesce(
            'order:' || order_id,
            'event:' || cast(event_row_id as {{ dbt.type_string() }})
        ) as order_key
    from purchases
),

final as (
    select
        user_id,
        order_key,
        max(order_id) as order_id,
        min(event_ts) as ordered_at,
        min(event_date) as order_date,
        max(event_ts) as last_event_at,
        count(*) as purchase_events,
        {{ exact_sum('coalesce(revenue, 0)') }} as revenue
    from keyed
    group by user_id, order_key
)

select * from final
