{#- Loyalty per user: repeat buying, tenure, unbroken monthly activity and advocacy
    (docs/segments/occasion_benefits_loyalty.md, section 3). One row per user. The month
    streaks and advocacy events come summed per user from int_user_activity (kept
    incremental by user), not from the 17M user-days and 13M user-months at 100M events. -#}

with

users as (
    select * from {{ ref('fct_user_behavior') }}
),

activity as (
    -- the advocacy events and the month streaks, summed per user by int_user_activity (kept
    -- incremental by user) from the user's days on or before as_of
    select
        user_id,
        referral_events,
        review_events,
        advocacy_events,
        longest_active_month_streak,
        latest_active_month_streak
    from {{ ref('int_user_activity') }}
),

joined as (
    select
        users.user_id,
        users.as_of,
        users.orders,
        users.first_seen_date,
        {{ days_between('users.first_seen_date', 'users.as_of') }} as tenure_days,
        -- the latest streak runs up to as_of's month when the user's last active month is it
        case
            when {{ period_index('users.last_seen_date', 'month') }} = {{ period_index('users.as_of', 'month') }}
                then coalesce(activity.latest_active_month_streak, 0)
            else 0
        end as consecutive_active_months,
        coalesce(activity.longest_active_month_streak, 0) as longest_active_month_streak,
        coalesce(activity.referral_events, 0) as referral_events,
        coalesce(activity.review_events, 0) as review_events,
        coalesce(activity.advocacy_events, 0) as advocacy_events
    from users
    left join activity on users.user_id = activity.user_id
),

flags as (
    select
        *,
        case
            when orders > 0 then (orders - 1) / cast(orders as {{ type_double() }})
        end as repeat_purchase_share,
        {{ is_advocate() }} as is_advocate
    from joined
),

final as (
    select
        user_id,
        as_of,
        ---------- buying
        orders,
        repeat_purchase_share,
        ---------- tenure and activity
        first_seen_date,
        tenure_days,
        consecutive_active_months,
        longest_active_month_streak,
        ---------- advocacy
        referral_events,
        review_events,
        advocacy_events,
        is_advocate,
        {{ loyalty_segment() }} as loyalty_segment
    from flags
)

select * from final
