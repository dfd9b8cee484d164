{#- One row per user: the furthest journey stage reached, highest stage wins
    (docs/segments/product.md, section 3). -#}

{%- set loyal_window = journey_loyal_window_days() %}
{%- if loyal_window is none %}
    {%- set loyal_order_filter = '1 = 1' %}
{%- else %}
    {%- set loyal_order_filter = days_between('order_date', as_of_date()) ~ ' < ' ~ loyal_window %}
{%- endif %}

with

users as (
    select
        user_id,
        as_of,
        orders,
        first_purchase_at
    from {{ ref('fct_user_behavior') }}
),

orders as (
    select
        user_id,
        order_date
    from {{ ref('int_orders') }}
),

activity as (
    -- the first signup and key event, kept by int_user_activity from the counts of
    -- int_user_days_history
    select
        user_id,
        first_signup_at,
        first_key_event_at
    from {{ ref('int_user_activity') }}
),

signups as (
    select
        user_id,
        first_signup_at as signed_up_at
    from activity
    where first_signup_at is not null
),

activations as (
    select
        user_id,
        first_key_event_at as activated_at
    from activity
    where first_key_event_at is not null
),

loyal_window_orders as (
    -- orders in the last journey_loyal_window_days days (all orders when the var is null)
    select
        user_id,
        count(*) as loyal_window_orders
    from orders
    where {{ loyal_order_filter }}
    group by user_id
),

joined as (
    select
        users.user_id,
        users.as_of,
        signups.signed_up_at,
        activations.activated_at,
        users.first_purchase_at as first_order_at,
        users.orders,
        coalesce(loyal_window_orders.loyal_window_orders, 0) as loyal_window_orders,
        signups.user_id is not null as has_signup,
        activations.user_id is not null as has_key_event
    from users
    left join signups on users.user_id = signups.user_id
    left join activations on users.user_id = activations.user_id
    left join loyal_window_orders on users.user_id = loyal_window_orders.user_id
),

final as (
    select
        user_id,
        as_of,
        signed_up_at,
        activated_at,
        first_order_at,
        orders,
        loyal_window_orders,
        {{ journey_stage(loyal_orders='loyal_window_orders') }} as journey_stage
    from joined
)

select * from final
