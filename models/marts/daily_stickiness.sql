{{ config(materialized=bi_materialization()) }}

{#- Daily stickiness (docs/segments/time.md, section 5): DAU, trailing-7-day WAU and
    trailing MAU (var stickiness_mau_days, default 28) for each of the last
    var('stickiness_days') days up to as_of, and DAU / MAU. The counts of every date are
    kept by int_daily_active_users (incremental by date: a daily run counts the new dates,
    not the last 116 days of user-days); this adds the ratios and the days before any
    activity (zero). -#}

{%- set days = var('stickiness_days', 90) | int %}
{%- set mau_days = var('stickiness_mau_days', 28) | int %}

with

run_context as (
    -- no row when nothing is valid (as_of is null): no dates to report
    select as_of from {{ ref('stg_run_context') }}
    where as_of is not null
),

numbers as (
    {{ number_spine(days | string | length) }}
),

-- our own spine: n = 0 is as_of itself (dbt.date_spine would leave its end date out)
spine as (
    select {{ add_days('run_context.as_of', '-1 * numbers.n') }} as activity_date
    from run_context
    inner join numbers on numbers.n < {{ days }}
),

counted as (
    -- int_daily_active_users' counts are bigint; a day before any activity counts 0
    select
        spine.activity_date,
        coalesce(daily.dau, cast(0 as {{ dbt.type_bigint() }})) as dau,
        coalesce(daily.wau, cast(0 as {{ dbt.type_bigint() }})) as wau,
        coalesce(daily.mau, cast(0 as {{ dbt.type_bigint() }})) as mau
    from spine
    left join {{ ref('int_daily_active_users') }} as daily on spine.activity_date = daily.activity_date
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
