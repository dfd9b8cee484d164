{#- One row per user: cart events without a purchase within cart_abandonment_window_hours
    (docs/segments/product.md, section 4). Built for very large event tables: the cart and
    purchase events come from int_cart_timeline_history (kept incrementally), and each cart
    finds its next purchase with one window over the union of the cart users' carts and
    purchases (no self-join). -#}

{%- set recency_days = product_int_var('cart_abandoner_recency_days', 1) %}

with

users as (
    select
        user_id,
        as_of,
        last_purchase_at
    from {{ ref('fct_user_behavior') }}
),

run_context as (
    select as_of from {{ ref('stg_run_context') }}
),

timeline_events as (
    -- cart and purchase events on or before as_of, with the carts' values (int_cart_timeline_history)
    select
        user_id,
        event_ts,
        event_date,
        is_cart,
        is_purchase,
        cart_value
    from {{ ref('int_cart_timeline_history') }}
    where event_date <= {{ as_of_date() }}
),

carts as (
    select
        user_id,
        event_ts as cart_at,
        event_date as cart_date,
        cart_value
    from timeline_events
    where is_cart
),

cart_users as (
    select distinct user_id
    from carts
),

purchases as (
    select
        user_id,
        event_ts as purchased_at
    from timeline_events
    where
        is_purchase
        and user_id in (select cart_users.user_id from cart_users)
),

timeline as (
    -- at equal times purchases sort after carts, so a purchase at the cart's instant is "after" it
    select
        user_id,
        cart_at as event_at,
        0 as kind_order,
        cart_date,
        cart_value
    from carts
    union all
    select
        user_id,
        purchased_at as event_at,
        1 as kind_order,
        cast(null as date) as cart_date,
        cast(null as {{ type_double() }}) as cart_value
    from purchases
),

next_purchases as (
    select
        user_id,
        event_at as cart_at,
        cart_date,
        cart_value,
        min(case when kind_order = 1 then event_at end) over (
            partition by user_id
            order by event_at, kind_order
            rows between current row and unbounded following
        ) as next_purchase_at
    from timeline
),

cart_status as (
    select
        next_purchases.user_id,
        next_purchases.cart_at,
        next_purchases.cart_date,
        next_purchases.cart_value,
        {{ cart_event_status(
            cart_at='next_purchases.cart_at',
            next_purchase_at='next_purchases.next_purchase_at',
            end_of_as_of=add_hours('cast(run_context.as_of as ' ~ dbt.type_timestamp() ~ ')', 24)
        ) }} as cart_status
    from next_purchases
    cross join run_context
    where next_purchases.cart_date is not null
),

per_user as (
    select
        cart_status.user_id,
        count(*) as cart_events,
        count(case when cart_status.cart_status = 'converted' then 1 end) as converted_carts,
        count(case when cart_status.cart_status = 'pending' then 1 end) as pending_carts,
        count(case when cart_status.cart_status = 'abandoned' then 1 end) as abandoned_carts,
        count(
            case
                when
                    cart_status.cart_status = 'abandoned'
                    and (users.last_purchase_at is null or cart_status.cart_at > users.last_purchase_at)
                    then 1
            end
        ) as open_abandoned_carts,
        {{ exact_sum(
            "case when cart_status.cart_status = 'abandoned'
                and (users.last_purchase_at is null or cart_status.cart_at > users.last_purchase_at)
                then coalesce(cart_status.cart_value, 0) end"
        ) }} as abandoned_cart_value,
        max(case when cart_status.cart_status = 'abandoned' then cart_status.cart_at end) as last_abandoned_at,
        max(case when cart_status.cart_status = 'abandoned' then cart_status.cart_date end) as last_abandoned_date
    from cart_status
    inner join users on cart_status.user_id = users.user_id
    group by cart_status.user_id
),

joined as (
    select
        users.user_id,
        users.as_of,
        users.last_purchase_at,
        coalesce(per_user.cart_events, 0) as cart_events,
        coalesce(per_user.converted_carts, 0) as converted_carts,
        coalesce(per_user.pending_carts, 0) as pending_carts,
        coalesce(per_user.abandoned_carts, 0) as abandoned_carts,
        coalesce(per_user.open_abandoned_carts, 0) as open_abandoned_carts,
        coalesce(per_user.abandoned_cart_value, 0) as abandoned_cart_value,
        per_user.last_abandoned_at,
        {{ days_between(
            'per_user.last_abandoned_date',
            'users.as_of'
        ) }} as days_since_cart_abandoned
    from users
    left join per_user on users.user_id = per_user.user_id
),

final as (
    select
        user_id,
        as_of,
        cart_events,
        converted_carts,
        pending_carts,
        abandoned_carts,
        open_abandoned_carts,
        abandoned_cart_value,
        last_abandoned_at,
        days_since_cart_abandoned,
        last_purchase_at,
        case
            when
                days_since_cart_abandoned < {{ recency_days }}
                and (last_purchase_at is null or last_purchase_at < last_abandoned_at)
                then true
            else false
        end as is_cart_abandoner
    from joined
)

select * from final
