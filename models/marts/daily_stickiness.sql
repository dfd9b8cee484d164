{{ config(materialized=bi_materialization()) }}

{#- Daily stickiness (docs/segments/time.md, section 5): DAU, trailing-7-day WAU and
    trailing MAU (var stickiness_mau_days, default 28) for each of the last
    var('stickiness_days') days up to as_of, and DAU / MAU.

    A user is in the trailing window of date d when their latest active day up to d is at
    most window - 1 days before d. So each user-day covers the dates from itself up to the
    day before the user's next active day, at most `window` dates, and every user is covered
    once on every date of their window. A window's count on d is then a running sum of +1
    (a user-day starts covering) and -1 (its cover ends) over the dates: one pass over the
    user-days, no distinct count over a user-day x date expansion. -#}

{%- set days = var('stickiness_days', 90) | int %}
{%- set mau_days = var('stickiness_mau_days', 28) | int %}
{%- set wau_days = 7 %}
{%- set longest = [mau_days, wau_days] | max %}
{#- the oldest window starts this many days before as_of -#}
{%- set lookback = days + longest - 2 %}

with

run_context as (
    -- no row when nothing is valid (as_of is null): no dates to report
    select as_of from {{ ref('stg_run_context') }}
    where as_of is not null
),

user_days as {{ materialized_cte() }} (
    -- the days some reported window covers, each with the user's next active day
    select
        int_user_days.user_id,
        int_user_days.activity_date,
        lead(int_user_days.activity_date) over (
            partition by int_user_days.user_id
            order by int_user_days.activity_date
        ) as next_activity_date
    from {{ ref('int_user_days') }} as int_user_days
    cross join run_context
    where int_user_days.activity_date >= {{ add_days('run_context.as_of', '-' ~ lookback) }}
),

covers as (
    -- the first date each user-day no longer covers, per window
    select
        activity_date,
        coalesce(
            least({{ add_days('activity_date', wau_days) }}, next_activity_date),
            {{ add_days('activity_date', wau_days) }}
        ) as wau_cover_end,
        coalesce(
            least({{ add_days('activity_date', mau_days) }}, next_activity_date),
            {{ add_days('activity_date', mau_days) }}
        ) as mau_cover_end
    from user_days
),

changes as (
    select
        activity_date as change_date,
        1 as dau,
        1 as wau_change,
        1 as mau_change
    from covers
    union all
    select
        wau_cover_end as change_date,
        0 as dau,
        -1 as wau_change,
        0 as mau_change
    from covers
    union all
    select
        mau_cover_end as change_date,
        0 as dau,
        0 as wau_change,
        -1 as mau_change
    from covers
),

daily_changes as (
    select
        change_date,
        sum(dau) as dau,
        sum(wau_change) as wau_change,
        sum(mau_change) as mau_change
    from changes
    group by change_date
),

numbers as (
    {{ number_spine((lookback + 1) | string | length) }}
),

-- our own spine: n = 0 is as_of itself (dbt.date_spine would leave its end date out); it
-- starts where the oldest window starts, so the running sums see every change
spine as (
    select
        numbers.n,
        {{ add_days('run_context.as_of', '-1 * numbers.n') }} as activity_date
    from run_context
    inner join numbers on numbers.n <= {{ lookback }}
),

counted as (
    select
        spine.n,
        spine.activity_date,
        coalesce(daily_changes.dau, 0) as dau,
        sum(coalesce(daily_changes.wau_change, 0)) over (
            order by spine.activity_date rows between unbounded preceding and current row
        ) as wau,
        sum(coalesce(daily_changes.mau_change, 0)) over (
            order by spine.activity_date rows between unbounded preceding and current row
        ) as mau
    from spine
    left join daily_changes on spine.activity_date = daily_changes.change_date
),

final as (
    select
        counted.activity_date,
        cast(counted.dau as {{ dbt.type_bigint() }}) as dau,
        cast(counted.wau as {{ dbt.type_bigint() }}) as wau,
        cast(counted.mau as {{ dbt.type_bigint() }}) as mau,
        counted.dau / cast(nullif(counted.mau, 0) as {{ type_double() }}) as dau_mau,
        counted.dau / cast(nullif(counted.wau, 0) as {{ type_double() }}) as dau_wau,
        counted.wau / cast(nullif(counted.mau, 0) as {{ type_double() }}) as wau_mau,
        {{ mau_days }} as mau_window_days,
        run_context.as_of
    from counted
    cross join run_context
    where counted.n < {{ days }}
)

select * from final
