{#- One row per user: cart events without a purchase within cart_abandonment_window_hours
    (docs/segments/product.md, section 4). How each user's carts ended comes from
    int_user_carts (kept incremental by user: only users with new events or a pending cart
    are counted again); this adds what depends on where as_of falls, for every user. -#}

{%- set recency_days = product_int_var('cart_abandoner_recency_days', 1) %}

with

users as (
    select
        user_id,
        as_of,
        last_purchase_at
    from {{ ref('fct_user_behavior') }}
),

user_carts as (
    select * from {{ ref('int_user_carts') }}
),

joined as (
    select
        users.user_id,
        users.as_of,
        users.last_purchase_at,
        coalesce(user_carts.cart_events, 0) as cart_events,
        coalesce(user_carts.converted_carts, 0) as converted_carts,
        coalesce(user_carts.pending_carts, 0) as pending_carts,
        coalesce(user_carts.abandoned_carts, 0) as abandoned_carts,
        coalesce(user_carts.open_abandoned_carts, 0) as open_abandoned_carts,
        coalesce(user_carts.abandoned_cart_value, 0) as abandoned_cart_value,
        user_carts.last_abandoned_at,
        {{ days_between(
            'user_carts.last_abandoned_date',
            'users.as_of'
        ) }} as days_since_cart_abandoned
    from users
    left join user_carts on users.user_id = user_carts.user_id
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
