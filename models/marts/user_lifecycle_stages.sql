{#- Lifecycle stage as of as_of, one row per user (docs/definitions.md, section 7). -#}

with

users as (
    select * from {{ ref('fct_user_behavior') }}
),

returns as (
    -- a return: an active day inside the active window after a long enough gap; the user's
    -- latest day after such a gap is kept by int_user_activity, so the latest return in the
    -- window is that day, when it falls in the window
    select
        user_id,
        last_return_date as last_reactivation_date
    from {{ ref('int_user_activity') }}
    where {{ days_between('last_return_date', as_of_date()) }} < {{ var('active_days_window') }}
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
