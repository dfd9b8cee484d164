{{ config(materialized=bi_materialization()) }}

{#- Acquisition cohorts x periods since first seen (docs/segments/time.md, section 2).
    A user's cohort is the month / ISO week of their first active day; period N is the
    calendar-period difference between an active day and the cohort start. -#}

{%- set grains = var('cohort_grains', ['month', 'week']) %}

with

user_periods_active as {{ inlined_cte() }} (
    -- one row per user and active period, from the user-days on or before as_of; read once
    -- per grain, each read keeping its grain's rows
    select * from {{ ref('int_user_periods') }}
),

users as (
    -- each user's first and last active day (the values fct_user_behavior copies), read from
    -- int_user_activity so that this model runs beside fct_user_behavior, not after it
    select
        user_id,
        first_seen_date,
        last_seen_date
    from {{ ref('int_user_activity') }}
),

run_context as (
    select {{ as_of_date() }} as as_of
),

numbers as (
    {{ number_spine(4) }}
),

user_cohorts as (
    -- one row per user and grain: the cohort, and the period of the last active day (the
    -- user's latest active period, as periods follow the calendar)
    {%- for grain in grains %}
        select
            '{{ grain }}' as cohort_grain,
            users.user_id,
            {{ period_start('users.first_seen_date', grain) }} as cohort_start,
            {{ period_index('users.last_seen_date', grain) }}
            - {{ period_index('users.first_seen_date', grain) }} as last_period_number,
            {{ period_index('run_context.as_of', grain) }}
            - {{ period_index('users.first_seen_date', grain) }} as as_of_period_number
        from users
        cross join run_context
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

user_periods as (
    -- one row per user and active period, with the user's cohort
    {%- for grain in grains %}
        select
            '{{ grain }}' as cohort_grain,
            active_periods.user_id,
            {{ period_start('users.first_seen_date', grain) }} as cohort_start,
            active_periods.period_index - {{ period_index('users.first_seen_date', grain) }} as period_number
        from user_periods_active as active_periods
        inner join users on active_periods.user_id = users.user_id
        where active_periods.period_grain = '{{ grain }}'
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

cohorts as (
    -- each user is in one cohort per grain
    select
        cohort_grain,
        cohort_start,
        count(*) as cohort_users,
        max(as_of_period_number) as as_of_period_number
    from user_cohorts
    group by cohort_grain, cohort_start
),

cohort_periods as (
    select
        cohorts.cohort_grain,
        cohorts.cohort_start,
        cohorts.cohort_users,
        numbers.n as period_number
    from cohorts
    inner join numbers on cohorts.as_of_period_number >= numbers.n
),

active_by_period as (
    select
        cohort_grain,
        cohort_start,
        period_number,
        count(*) as active_users
    from user_periods
    group by cohort_grain, cohort_start, period_number
),

last_active_by_period as (
    select
        cohort_grain,
        cohort_start,
        last_period_number as period_number,
        count(*) as users_last_active
    from user_cohorts
    group by cohort_grain, cohort_start, last_period_number
),

counted as (
    select
        cohort_periods.cohort_grain,
        cohort_periods.cohort_start,
        cohort_periods.period_number,
        cohort_periods.cohort_users,
        coalesce(active_by_period.active_users, 0) as active_users,
        -- users whose last active period is this one or a later one
        cast(sum(coalesce(last_active_by_period.users_last_active, 0)) over (
            partition by cohort_periods.cohort_grain, cohort_periods.cohort_start
            order by cohort_periods.period_number desc
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as returned_or_later_users
    from cohort_periods
    left join active_by_period
        on
            cohort_periods.cohort_grain = active_by_period.cohort_grain
            and cohort_periods.cohort_start = active_by_period.cohort_start
            and cohort_periods.period_number = active_by_period.period_number
    left join last_active_by_period
        on
            cohort_periods.cohort_grain = last_active_by_period.cohort_grain
            and cohort_periods.cohort_start = last_active_by_period.cohort_start
            and cohort_periods.period_number = last_active_by_period.period_number
),

dated as (
    select
        counted.*,
        case
            {%- for grain in grains %}
                when counted.cohort_grain = '{{ grain }}'
                    then {{ add_periods('counted.cohort_start', 'counted.period_number', grain) }}
            {%- endfor %}
        end as period_start,
        case
            {%- for grain in grains %}
                when counted.cohort_grain = '{{ grain }}'
                    then {{ add_periods('counted.cohort_start', 'counted.period_number + 1', grain) }}
            {%- endfor %}
        end as next_period_start
    from counted
),

final as (
    select
        dated.cohort_grain,
        dated.cohort_start,
        dated.period_number,
        dated.period_start,
        {{ add_days('dated.next_period_start', -1) }} as period_end,
        -- the period's last day (next start - 1) is on or before as_of
        {{ days_between('dated.next_period_start', 'run_context.as_of') }}
        >= -1 as is_period_complete,
        dated.cohort_users,
        dated.active_users,
        dated.active_users / cast(dated.cohort_users as {{ type_double() }}) as returned_share,
        dated.returned_or_later_users,
        dated.returned_or_later_users / cast(dated.cohort_users as {{ type_double() }}) as returned_or_later_share,
        run_context.as_of
    from dated
    cross join run_context
)

select * from final
