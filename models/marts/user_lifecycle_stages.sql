{#- Lifecycle stage as of as_of, one row per user (docs/definitions.md, section 7). -#}

with

users as (
    select * from {{ ref('fct_user_behavior') }}
),

user_days as (
    select
        *,
        {{ days_between('activity_date', as_of_date()) }} as days_before_as_of
    from {{ ref('int_user_days') }}
),

day_gaps as (
    select
        user_id,
        activity_date,
        days_before_as_of,
        {{ days_between(
            'lag(activity_date) over (partition by user_id order by activity_date)',
            'activity_date'
        ) }} as days_since_previous_active_day
    from user_days
),

returns as (
    -- a return: an active day inside the active window after a long enough gap
    select
        user_id,
        max(activity_date) as last_reactivation_date
    from day_gaps
    where
        days_before_as_of < {{ var('active_days_window') }}
        and days_since_previous_active_day >= {{ var('reactivation_gap_days') }}
    group by user_id
),

joined as (
    select
        users.user_id,
        users.as_of,
        users.days_since_first_seen,
        users.days_since_last_seen,
        users.active_days_28d,
        users.active_days_prev_28d,
        returns.last_reactivation_date,
        returns.user_id is not null as has_reactivation
    from users
    left join returns on users.user_id = returns.user_id
),

final as (
    select
        user_id,
        as_of,
        days_since_first_seen,
        days_since_last_seen,
        active_days_28d,
        active_days_prev_28d,
        last_reactivation_date,
        {{ lifecycle_stage() }} as lifecycle_stage
    from joined
)

select * from final
