{{ config(materialized=bi_materialization()) }}

{#- Daily stickiness (docs/segments/time.md, section 5): DAU, trailing-7-day WAU and
    trailing MAU (var stickiness_mau_days, default 28) for each of the last
    var('stickiness_days') days up to as_of, and DAU / MAU. -#}

{%- set days = var('stickiness_days', 90) | int %}
{%- set mau_days = var('stickiness_mau_days', 28) | int %}
{%- set wau_days = 7 %}

with

run_context as (
    -- no row when nothing is valid (as_of is null): no dates to report
    select as_of from {{ ref('stg_run_context') }}
    where as_of is not null
),

user_days as (
    -- only the days some reported window covers: the oldest window starts
    -- days + mau_days - 2 days before as_of
    select
        int_user_days.user_id,
        int_user_days.activity_date
    from {{ ref('int_user_days') }} as int_user_days
    cross join run_context
    where int_user_days.activity_date >= {{ add_days('run_context.as_of', '-' ~ (days + mau_days - 2)) }}
),

numbers as (
    {{ number_spine(days | string | length) }}
),

-- our own spine: n = 0 is as_of itself (dbt.date_spine would leave its end date out)
dates as (
    select
        {{ add_days('run_context.as_of', '-1 * numbers.n') }} as activity_date,
        {{ add_days('run_context.as_of', '-1 * numbers.n - ' ~ (mau_days - 1)) }} as mau_window_start
    from run_context
    inner join numbers on numbers.n < {{ days }}
),

date_users as (
    select
        dates.activity_date,
        user_days.user_id,
        {{ days_between('user_days.activity_date', 'dates.activity_date') }} as days_back
    from dates
    inner join user_days
        on
            dates.mau_window_start <= user_days.activity_date
            and dates.activity_date >= user_days.activity_date
),

counted as (
    select
        dates.activity_date,
        count(distinct case when date_users.days_back = 0 then date_users.user_id end) as dau,
        count(distinct case when date_users.days_back < {{ wau_days }} then date_users.user_id end) as wau,
        count(distinct date_users.user_id) as mau
    from dates
    left join date_users on dates.activity_date = date_users.activity_date
    group by dates.activity_date
),

final as (
    select
        counted.activity_date,
        counted.dau,
        counted.wau,
        counted.mau,
        counted.dau / cast(nullif(counted.mau, 0) as {{ type_double() }}) as dau_mau,
        counted.dau / cast(nullif(counted.wau, 0) as {{ type_double() }}) as dau_wau,
        counted.wau / cast(nullif(counted.mau, 0) as {{ type_double() }}) as wau_mau,
        {{ mau_days }} as mau_window_days,
        run_context.as_of
    from counted
    cross join run_context
)

select * from final
