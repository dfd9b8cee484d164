{#- One row per user and calendar day (UTC) with at least one clean event. -#}

with

events as (
    select * from {{ ref('stg_events') }}
),

final as (
    select
        user_id,
        event_date as activity_date,
        {{ days_between("event_date", as_of_date()) }} as days_before_as_of,
        count(*) as events,
        count(distinct session_id) as sessions,
        count(case when is_purchase then 1 end) as purchase_events,
        {{ exact_sum('case when is_purchase then coalesce(revenue, 0) else 0 end') }} as revenue,
        min(event_ts) as first_event_at,
        max(event_ts) as last_event_at
    from events
    group by user_id, event_date
)

select * from final
