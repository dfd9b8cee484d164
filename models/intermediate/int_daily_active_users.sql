-- sqlfluff:indentation:template_blocks_indent:False
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='activity_date',
    on_schema_change='fail',
    post_hook=["{{ delete_rows_where('activity_date > ' ~ as_of_date()) }}"],
) }}

{#- DAU, trailing-7-day WAU and trailing MAU (var stickiness_mau_days, default 28) of every
    date from the first active day up to as_of, for daily_stickiness (docs/segments/time.md,
    section 5).

    A user is in the trailing window of date d when their latest active day up to d is at
    most window - 1 days before d. So each user-day covers the dates from itself up to the
    day before the user's next active day, at most `window` dates, and every user is covered
    once on every date of their window. A window's count on d is then a running sum of +1
    (a user-day starts covering) and -1 (its cover ends) over the dates: one pass over the
    user-days, no distinct count over a user-day x date expansion.

    Incremental by date: a date's counts change only with the user-days of its window. A run
    counts again the dates from the earliest event date of the rows stg_events__classified
    wrote since its last run (or from the day after its latest date) up to as_of, reading the
    user-days of the window before that date on; at 100M events a day's run reads 4M
    user-days instead of the 12M of the last 116 days. Rows of erased users have lost their
    dates, so a run that blanks any counts every date again, as does a change of the as_of
    cut, the MAU window or int_user_days_history's definitions (the fingerprint). Dates
    after as_of (as_of moved back) are deleted. -#}

-- depends_on: {{ ref('stg_events__classified') }}

{%- set mau_days = var('stickiness_mau_days', 28) | int %}
{%- set wau_days = 7 %}
{%- set longest = [mau_days, wau_days] | max %}
{%- set fingerprint = definition_fingerprint([
    as_of_cut('activity_date'),
    'stickiness_mau_days=' ~ mau_days,
    stored_fingerprints(ref('int_user_days_history')),
]) %}
{%- set every_date = definition_changed(fingerprint) %}

with

run_context as (
    -- no row when nothing is valid (as_of is null): no dates to count
    select as_of from {{ ref('stg_run_context') }}
    where as_of is not null
),

first_dates as (
    -- the first date counted again (null: every date)
    {%- if is_incremental() and not every_date %}
    select
        case
            when changes.erased_rows > 0 then cast(null as date)
            when changes.first_changed_date is null or changes.first_changed_date > stored.next_date
                then stored.next_date
            else changes.first_changed_date
        end as first_date
    from (
        select
            min(event_date) as first_changed_date,
            count(case when is_erased then 1 end) as erased_rows
        from {{ ref('stg_events__classified') }}
        where load_batch > {{ processed_load_batch() }}
    ) as changes
    cross join (
        select {{ add_days('max(activity_date)', 1) }} as next_date
        from {{ this }}
    ) as stored
    {%- else %}
    select cast(null as date) as first_date
    {%- endif %}
),

first_day as (
    -- every date from the first active day on when all dates are counted; window_start: the
    -- first user-day whose cover can reach first_date
    select
        coalesced.first_date,
        {{ add_days('coalesced.first_date', '-' ~ (longest - 1)) }} as window_start
    from (
        select
            coalesce(
                first_dates.first_date,
                (select min(history.activity_date) from {{ ref('int_user_days_history') }} as history)
            ) as first_date
        from first_dates
    ) as coalesced
),

user_days as (
    -- the user-days whose cover can reach a counted date, each with the user's next active day
    select
        history.user_id,
        history.activity_date,
        lead(history.activity_date) over (
            partition by history.user_id
            order by history.activity_date
        ) as next_activity_date
    from {{ ref('int_user_days_history') }} as history
    cross join first_day
    where
        {{ as_of_cut('history.activity_date') }}
        and history.activity_date >= first_day.window_start
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
    -- up to 100,000 days (273 years) from the spine's start
    {{ number_spine(5) }}
),

spine as (
    -- every date from where the first cover that can reach a counted date starts, to as_of:
    -- the running sums see every change
    select {{ add_days('first_day.window_start', 'numbers.n') }} as activity_date
    from first_day
    cross join run_context
    inner join numbers on numbers.n <= {{ days_between('first_day.window_start', 'run_context.as_of') }}
),

counted as (
    select
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
        {{ lineage_columns(fingerprint) }}
    from counted
    cross join first_day
    where counted.activity_date >= first_day.first_date
)

select * from final
