{#- Loyalty per user: repeat buying, tenure, unbroken monthly activity and advocacy
    (docs/segments/occasion_benefits_loyalty.md, section 3). One row per user. -#}

with

users as (
    select * from {{ ref('fct_user_behavior') }}
),

user_days as (
    -- as_of bounds the months, whatever int_user_days holds
    select * from {{ ref('int_user_days') }}
    where activity_date <= {{ as_of_date() }}
),

advocacy as (
    -- the events of the var lists, counted per day by int_user_days_history
    select
        user_id,
        cast(sum(referral_events) as {{ dbt.type_bigint() }}) as referral_events,
        cast(sum(review_events) as {{ dbt.type_bigint() }}) as review_events,
        cast(sum(advocacy_events) as {{ dbt.type_bigint() }}) as advocacy_events
    from user_days
    where referral_events > 0 or review_events > 0 or advocacy_events > 0
    group by user_id
),

active_months as (
    -- one row per user and month active on or before as_of
    select
        user_id,
        period_index as month_index
    from {{ ref('int_user_periods') }}
    where period_grain = 'month'
),

month_islands as (
    -- gaps and islands: consecutive months share month_index - their rank
    select
        user_id,
        month_index,
        month_index - row_number() over (partition by user_id order by month_index) as island
    from active_months
),

streaks as (
    select
        user_id,
        island,
        max(month_index) as last_month_index,
        count(*) as months
    from month_islands
    group by user_id, island
),

user_streaks as (
    select
        user_id,
        max(months) as longest_active_month_streak,
        max(case when last_month_index = {{ period_index(as_of_date(), 'month') }} then months else 0 end)
            as consecutive_active_months
    from streaks
    group by user_id
),

joined as (
    select
        users.user_id,
        users.as_of,
        users.orders,
        users.first_seen_date,
        {{ days_between('users.first_seen_date', 'users.as_of') }} as tenure_days,
        coalesce(user_streaks.consecutive_active_months, 0) as consecutive_active_months,
        coalesce(user_streaks.longest_active_month_streak, 0) as longest_active_month_streak,
        coalesce(advocacy.referral_events, 0) as referral_events,
        coalesce(advocacy.review_events, 0) as review_events,
        coalesce(advocacy.advocacy_events, 0) as advocacy_events
    from users
    left join user_streaks on users.user_id = user_streaks.user_id
    left join advocacy on users.user_id = advocacy.user_id
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
