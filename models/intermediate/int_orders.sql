{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='user_id',
    on_schema_change='fail',
    post_hook=["{{ delete_rows_where('order_key is null') }}"],
) }}

{#- One row per order with a purchase event on or before as_of. An order is
    (user_id, order_id); a purchase event without an order_id is an order of its own.
    Revenue is the sum over the order's purchase events (null revenue counts as 0); its time
    is its earliest event. Only the order's events on or before as_of count. The benefit
    columns: whether any of its purchase events carries a discount, and the exact sums of
    price x quantity and of quantity over its events with a valid price (null when none).

    Incremental by user (docs/definitions.md, section 10): the orders of the users with rows
    stg_events__classified wrote since this model's last run, and of the users erased since
    then, are summed again from their order-days (int_order_days changes for no one else).
    A touched user left without orders is written as one row without an order, which
    replaces their old rows, and the post-hook deletes it. Each row stores the fingerprint
    of the as_of cut and of how int_order_days read the properties: when either changes, the
    run sums every user's orders again. -#}

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
touched_users as (
    {{ touched_users(every_user, 'order_days') }}
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
    inner join touched_users on order_days.user_id = touched_users.user_id
    {%- endif %}
    group by order_days.user_id, order_days.order_key
),

final as (
    -- on an incremental run, every touched user (without orders: one row without an order)
    select
        {{ 'touched_users' if is_incremental() else 'orders' }}.user_id,
        orders.order_key,
        orders.order_id,
        orders.ordered_at,
        orders.order_date,
        orders.last_event_at,
        orders.purchase_events,
        orders.revenue,
        orders.is_discounted,
        orders.priced_value,
        orders.priced_quantity,
        {{ lineage_columns(fingerprint) }}
    from {{ 'touched_users left join orders on touched_users.user_id = orders.user_id' if is_incremental() else 'orders' }}
)

select * from final
