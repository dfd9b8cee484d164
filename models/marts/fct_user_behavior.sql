{#- One row per user: behaviour facts as of the run's as_of (docs/definitions.md, section 4). -#}

with

user_days as (
    select
        *,
        {{ days_between('activity_date', as_of_date()) }} as days_before_as_of
    from {{ ref('int_user_days') }}
),

orders as (
    select * from {{ ref('int_orders') }}
),

activity as (
    select
        user_id,
        min(first_event_at) as first_seen_at,
        max(last_event_at) as last_seen_at,
        min(activity_date) as first_seen_date,
        max(activity_date) as last_seen_date,
        count(*) as active_days_total,
        count(case when days_before_as_of between 0 and 6 then 1 end) as active_days_7d,
        count(case when days_before_as_of between 0 and 27 then 1 end) as active_days_28d,
        count(case when days_before_as_of between 0 and 89 then 1 end) as active_days_90d,
        count(case when days_before_as_of between 28 and 55 then 1 end) as active_days_prev_28d,
        cast(sum(events) as {{ dbt.type_bigint() }}) as events_total,
        cast(
            sum(case when days_before_as_of between 0 and 27 then events else 0 end) as {{ dbt.type_bigint() }}
        ) as events_28d
    from user_days
    group by user_id
),

purchase_days as (
    select
        user_id,
        activity_date,
        revenue,
        min(activity_date) over (partition by user_id) as first_purchase_date
    from user_days
    where purchase_events > 0
),

purchase_day_stats as (
    select
        user_id,
        count(*) as purchase_days,
        min(activity_date) as first_purchase_date,
        max(activity_date) as last_purchase_date,
        -- lifetimes' monetary_value: mean daily total over repeat purchase days only
        coalesce(
            {{ exact_sum('case when activity_date > first_purchase_date then revenue end') }}
            / nullif(count(case when activity_date > first_purchase_date then 1 end), 0),
            0
        ) as btyd_monetary_value
    from purchase_days
    group by user_id
),

order_stats as (
    select
        user_id,
        count(*) as orders,
        {{ exact_sum('revenue') }} as revenue,
        min(ordered_at) as first_purchase_at,
        max(last_event_at) as last_purchase_at
    from orders
    group by user_id
),

joined as (
    select
        activity.*,
        coalesce(order_stats.orders, 0) as orders,
        coalesce(order_stats.revenue, 0) as revenue,
        order_stats.first_purchase_at,
        order_stats.last_purchase_at,
        coalesce(purchase_day_stats.purchase_days, 0) as purchase_days,
        purchase_day_stats.first_purchase_date,
        purchase_day_stats.last_purchase_date,
        purchase_day_stats.btyd_monetary_value
    from activity
    left join order_stats on activity.user_id = order_stats.user_id
    left join purchase_day_stats on activity.user_id = purchase_day_stats.user_id
),

final as (
    select
        user_id,
        {{ as_of_date() }} as as_of,
        ---------- activity
        first_seen_at,
        last_seen_at,
        first_seen_date,
        last_seen_date,
        {{ days_between('first_seen_date', as_of_date()) }} as days_since_first_seen,
        {{ days_between('last_seen_date', as_of_date()) }} as days_since_last_seen,
        active_days_total,
        active_days_7d,
        active_days_28d,
        active_days_90d,
        active_days_prev_28d,
        events_total,
        events_28d,
        ---------- purchases
        orders,
        revenue,
        case when orders > 0 then revenue / orders end as avg_order_value,
        first_purchase_at,
        last_purchase_at,
        {{ days_between('last_purchase_date', as_of_date()) }} as days_since_last_purchase,
        purchase_days,
        orders > 0 as is_purchaser,
        ---------- buy-till-you-die inputs (daily periods)
        case when purchase_days > 0 then purchase_days - 1 end as btyd_frequency,
        {{ days_between('first_purchase_date', 'last_purchase_date') }} as btyd_recency_days,
        {{ days_between('first_purchase_date', as_of_date()) }} as btyd_t_days,
        btyd_monetary_value
    from joined
)

select * from final
