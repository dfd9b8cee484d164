{{ config(materialized=bi_materialization()) }}

{#- Monthly growth accounting (docs/segments/time.md, section 3): every calendar month from
    the first active month up to the month of as_of, active users split into new, retained
    and resurrected, the users lost since last month (churned) and the quick ratio. -#}

with

user_periods as (
    select * from {{ ref('int_user_periods') }}
),

run_context as (
    select {{ as_of_date() }} as as_of
),

numbers as (
    {{ number_spine(4) }}
),

user_months as (
    -- one row per user and month active on or before as_of
    select
        user_id,
        period_index as month_index
    from user_periods
    where period_grain = 'month'
),

user_months_flagged as (
    -- neighbours by window, not by joining user_months twice with itself (3.4 s to 2.4 s at
    -- 100M events): each user-month appears once, so the previous and next rows of a user
    -- are its previous and next active months
    select
        user_id,
        month_index,
        min(month_index) over (partition by user_id) as first_month_index,
        case
            when lag(month_index) over (partition by user_id order by month_index) = month_index - 1 then 1 else 0
        end as was_active_last_month,
        case
            when lead(month_index) over (partition by user_id order by month_index) = month_index + 1 then 1 else 0
        end as is_active_next_month
    from user_months
),

this_month_counts as (
    select
        month_index,
        count(*) as active_users,
        count(case when month_index = first_month_index then 1 end) as new_users,
        count(case when was_active_last_month = 1 then 1 end) as retained_users,
        count(
            case when was_active_last_month = 0 and month_index > first_month_index then 1 end
        ) as resurrected_users
    from user_months_flagged
    group by month_index
),

-- counted in the month after: users active in month m - 1 and not in month m
last_month_counts as (
    select
        month_index + 1 as month_index,
        count(*) as active_users_prev,
        count(case when is_active_next_month = 0 then 1 end) as churned_users
    from user_months_flagged
    group by month_index
),

bounds as (
    select
        min(user_periods.period_index) as first_month_index,
        min(user_periods.period_start) as first_month_start,
        {{ period_index('max(run_context.as_of)', 'month') }} as as_of_month_index
    from user_periods
    cross join run_context
    where user_periods.period_grain = 'month'
),

months as (
    select
        bounds.first_month_index + numbers.n as month_index,
        {{ add_months('bounds.first_month_start', 'numbers.n') }} as month_start
    from bounds
    inner join numbers on bounds.as_of_month_index - bounds.first_month_index >= numbers.n
),

counted as (
    select
        months.month_start,
        coalesce(this_month_counts.active_users, 0) as active_users,
        coalesce(last_month_counts.active_users_prev, 0) as active_users_prev,
        coalesce(this_month_counts.new_users, 0) as new_users,
        coalesce(this_month_counts.retained_users, 0) as retained_users,
        coalesce(this_month_counts.resurrected_users, 0) as resurrected_users,
        coalesce(last_month_counts.churned_users, 0) as churned_users
    from months
    left join this_month_counts on months.month_index = this_month_counts.month_index
    left join last_month_counts on months.month_index = last_month_counts.month_index
),

final as (
    select
        counted.month_start,
        {{ add_days(add_months('counted.month_start', 1), -1) }} as month_end,
        {{ days_between(add_months('counted.month_start', 1), 'run_context.as_of') }}
        >= -1 as is_month_complete,
        counted.active_users,
        counted.active_users_prev,
        counted.new_users,
        counted.retained_users,
        counted.resurrected_users,
        counted.churned_users,
        (counted.new_users + counted.resurrected_users)
        / cast(nullif(counted.churned_users, 0) as {{ type_double() }}) as quick_ratio,
        run_context.as_of
    from counted
    cross join run_context
)

select * from final
