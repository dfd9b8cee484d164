{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['user_id', 'order_key'],
    on_schema_change='fail',
    post_hook=["{{ delete_empty_rows('purchase_events') }}"],
) }}

{#- One row per order with a purchase event on or before as_of. An order is
    (user_id, order_id); a purchase event without an order_id is an order of its own.
    Revenue is the sum over the order's purchase events (null revenue counts as 0); its time
    is its earliest event. Only the order's events on or before as_of count. The benefit
    columns: whether any of its purchase events carries a discount, and the exact sums of
    price x quantity and of quantity over its events with a valid price (null when none).

    Incremental by order (docs/definitions.md, section 10): the orders of the purchase events
    stg_events__classified wrote rows for since this model's last run, and every order of the
    users erased since then, are summed again from their order-days (int_order_days changes
    for no other order). Only those orders are rewritten: at 100M events a day's purchases
    touch 6K orders, where the 84K users with new events hold 390K. An order left without
    order-days is written as an empty row (purchase_events 0), which replaces the old one,
    and the post-hook deletes it. Each row stores the fingerprint of the as_of cut and of how
    int_order_days read the properties: when either changes, the run sums every order
    again. -#}

-- depends_on: {{ ref('erasure_requests') }}
-- depends_on: {{ ref('stg_events__classified') }}

{%- set fingerprint = definition_fingerprint([
    as_of_cut('order_date'),
    stored_fingerprints(ref('int_order_days')),
]) %}
{%- set every_user = definition_changed(fingerprint) %}

with

order_days as (
    select * from {{ ref('int_order_days') }}
    where {{ as_of_cut('order_date') }}
),
{% if is_incremental() %}
touched_orders as (
    {%- if every_user %}
        select
            user_id,
            order_key
        from order_days
        union
        select
            user_id,
            order_key
        from {{ this }}
    {%- else %}
        select distinct
            user_id,
            {{ order_key('order_id', 'event_row_id') }} as order_key
        from {{ ref('stg_events__classified') }}
        where load_batch > {{ processed_load_batch() }} and user_id is not null and is_purchase
        union
        {{ stored_keys_of_erased_users(['user_id', 'order_key']) }}
    {%- endif %}
),
{% endif %}
orders as (
    select
        order_days.user_id,
        order_days.order_key,
        max(order_days.order_id) as order_id,
        min(order_days.first_event_at) as ordered_at,
        min(order_days.order_date) as order_date,
        max(order_days.last_event_at) as last_event_at,
        cast(sum(order_days.purchase_events) as {{ dbt.type_bigint() }}) as purchase_events,
        {{ exact_sum('order_days.revenue') }} as revenue,
        sum(order_days.discounted_events) > 0 as is_discounted,
        sum(order_days.priced_value) as priced_value,
        sum(order_days.priced_quantity) as priced_quantity
    from order_days
    {%- if is_incremental() %}
    inner join touched_orders
        on order_days.user_id = touched_orders.user_id and order_days.order_key = touched_orders.order_key
    {%- endif %}
    group by order_days.user_id, order_days.order_key
),

{%- set keys = 'touched_orders' if is_incremental() else 'orders' %}
{%- set joined = 'touched_orders left join orders on touched_orders.user_id = orders.user_id'
    ~ ' and touched_orders.order_key = orders.order_key' %}

final as (
    -- on an incremental run, every touched order (without order-days: an empty row)
    select
        {{ keys }}.user_id,
        {{ keys }}.order_key,
        orders.order_id,
        orders.ordered_at,
        orders.order_date,
        orders.last_event_at,
        cast(coalesce(orders.purchase_events, 0) as {{ dbt.type_bigint() }}) as purchase_events,
        orders.revenue,
        orders.is_discounted,
        orders.priced_value,
        orders.priced_quantity,
        {{ lineage_columns(fingerprint) }}
    from {{ joined if is_incremental() else 'orders' }}
)

select * from final
