{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='user_id',
    on_schema_change='fail',
    post_hook=["{{ delete_empty_rows('cart_events') }}"],
) }}

{#- One row per user with a cart event on or before as_of: how the user's carts ended
    (docs/segments/product.md, section 4), counted from int_cart_timeline_history. Each cart
    finds its next purchase with one window over the union of the user's carts and
    purchases (no self-join). user_cart_abandonment adds, for every user, what depends on
    where as_of falls (days since the last abandoned cart, the abandoner flag).

    Incremental by user. A cart's status changes with as_of only while it is pending (its
    window ends after as_of's day): converted and abandoned carts are settled. So a run
    counts again, from all their carts and purchases, the users with rows
    stg_events__classified wrote since this model's last run, the users erased since then,
    and the users with a pending cart; every other user keeps their row (at 100M events a
    day's run reads the carts of 86K users: 84K with new events and 2K more with a pending
    cart, of the 410K with carts). A user left without carts is written as an empty row,
    which replaces the old one, and the post-hook deletes it. Each row stores the fingerprint of the as_of cut, the status rule (with the var
    cart_abandonment_window_hours) and of int_cart_timeline_history's definitions, and the
    as_of its statuses were decided at: when a definition changes, or as_of moved back, the
    run counts every user again. -#}

-- depends_on: {{ ref('erasure_requests') }}
-- depends_on: {{ ref('stg_events__classified') }}

{%- set fingerprint = definition_fingerprint([
    as_of_cut('event_date'),
    cart_event_status(),
    stored_fingerprints(ref('int_cart_timeline_history')),
]) %}
{%- set every_user = definition_changed(fingerprint) or as_of_moved_back('statuses_as_of') %}

with

run_context as (
    select as_of from {{ ref('stg_run_context') }}
),

timeline_events as (
    -- cart and purchase events on or before as_of, with the carts' values
    select
        user_id,
        event_ts,
        event_date,
        is_cart,
        is_purchase,
        cart_value
    from {{ ref('int_cart_timeline_history') }}
    where {{ as_of_cut('event_date') }}
),
{% if is_incremental() %}
counted_users as (
    {{ touched_users(every_user, 'timeline_events') }}
    union
    select this_model.user_id
    from {{ this }} as this_model
    where this_model.pending_carts > 0
),
{% endif %}
carts as (
    select
        timeline_events.user_id,
        timeline_events.event_ts as cart_at,
        timeline_events.event_date as cart_date,
        timeline_events.cart_value
    from timeline_events
    {%- if is_incremental() %}
    inner join counted_users on timeline_events.user_id = counted_users.user_id
    {%- endif %}
    where timeline_events.is_cart
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
        next_purchases.next_purchase_at,
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
    -- an abandoned cart with no purchase at or after it came after the user's last purchase
    select
        user_id,
        count(*) as cart_events,
        count(case when cart_status = 'converted' then 1 end) as converted_carts,
        count(case when cart_status = 'pending' then 1 end) as pending_carts,
        count(case when cart_status = 'abandoned' then 1 end) as abandoned_carts,
        count(case when cart_status = 'abandoned' and next_purchase_at is null then 1 end)
            as open_abandoned_carts,
        {{ exact_sum(
            "case when cart_status = 'abandoned' and next_purchase_at is null
                then coalesce(cart_value, 0) end"
        ) }} as abandoned_cart_value,
        max(case when cart_status = 'abandoned' then cart_at end) as last_abandoned_at,
        max(case when cart_status = 'abandoned' then cart_date end) as last_abandoned_date
    from cart_status
    group by user_id
),

final as (
    -- in an incremental run every user counted again, those left without carts as an empty row
    select
        {{ 'counted_users' if is_incremental() else 'per_user' }}.user_id,
        coalesce(per_user.cart_events, 0) as cart_events,
        per_user.converted_carts,
        per_user.pending_carts,
        per_user.abandoned_carts,
        per_user.open_abandoned_carts,
        per_user.abandoned_cart_value,
        per_user.last_abandoned_at,
        per_user.last_abandoned_date,
        (select run_context.as_of from run_context) as statuses_as_of,
        {{ lineage_columns(fingerprint) }}
    from {{ 'counted_users' if is_incremental() else 'per_user' }}
    {%- if is_incremental() %}
    left join per_user on counted_users.user_id = per_user.user_id
    {%- endif %}
)

select * from final
