{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='user_id',
    on_schema_change='fail',
    post_hook=["{{ delete_empty_rows('active_days_total') }}"],
) }}

{#- One row per user with a clean event on or before as_of: what their user-days on or before
    as_of add up to, where nothing depends on where as_of falls (docs/definitions.md, section
    10). fct_user_behavior, user_churn_risk, user_lifecycle_stages, user_first_n_days,
    user_journey_stages and user_loyalty_segments read it, not the 17M user-days at 100M
    events with a window each (25 s of the daily run's node time). It also keeps the runs of
    consecutive active months (the longest, and the one ending in the last active month) and
    the advocacy events. The columns that count days before as_of (active_days_28d, ...)
    are counted by fct_user_behavior from the last 90 days.

    Incremental by user: the users with rows stg_events__classified wrote since this model's
    last run and the users erased since then are summed again from all their user-days (at
    100M events a day touches 84K users holding 4.9M of the 17M user-days: the median gap
    needs every gap, so a user's days are read again, not added to a kept sum). A user left without days is written as an empty row, which replaces
    the old one, and the post-hook deletes it. Each row stores the fingerprint of the as_of
    cut, the vars first_n_days and reactivation_gap_days, and of how int_user_days_history
    counted the days' signals: when any of them changes, the run sums every user again. -#}

-- depends_on: {{ ref('erasure_requests') }}
-- depends_on: {{ ref('stg_events__classified') }}

{%- set n_days = product_int_var('first_n_days', 1) %}
{%- set reactivation_gap = var('reactivation_gap_days') | int %}
{%- set fingerprint = definition_fingerprint([
    as_of_cut('activity_date'),
    'first_n_days=' ~ n_days,
    'reactivation_gap_days=' ~ reactivation_gap,
    stored_fingerprints(ref('int_user_days_history')),
]) %}
{%- set every_user = definition_changed(fingerprint) %}

with

user_days as (
    select
        user_id,
        activity_date,
        events,
        purchase_events,
        revenue,
        first_event_at,
        last_event_at,
        key_events,
        first_signup_at,
        first_key_event_at,
        referral_events,
        review_events,
        advocacy_events
    from {{ ref('int_user_days_history') }}
    where {{ as_of_cut('activity_date') }}
),
{% if is_incremental() %}
touched_users as (
    {{ touched_users(every_user, 'user_days') }}
),
{% endif %}
dated_days as (
    -- each day with the user's first day, first purchase day and the previous active day
    select
        user_days.*,
        min(user_days.activity_date) over (partition by user_days.user_id) as user_first_seen_date,
        min(case when user_days.purchase_events > 0 then user_days.activity_date end)
            over (partition by user_days.user_id) as user_first_purchase_date,
        {{ days_between(
            'lag(user_days.activity_date) over (partition by user_days.user_id order by user_days.activity_date)',
            'user_days.activity_date'
        ) }} as gap_days
    from user_days
    {%- if is_incremental() %}
    inner join touched_users on user_days.user_id = touched_users.user_id
    {%- endif %}
),

flagged_days as (
    select
        *,
        {{ days_between('user_first_seen_date', 'activity_date') }} < {{ n_days }} as is_first_n_days
    from dated_days
),

day_sums as (
    select
        user_id,
        min(first_event_at) as first_seen_at,
        max(last_event_at) as last_seen_at,
        min(activity_date) as first_seen_date,
        max(activity_date) as last_seen_date,
        count(*) as active_days_total,
        cast(sum(events) as {{ dbt.type_bigint() }}) as events_total,
        count(case when purchase_events > 0 then 1 end) as purchase_days,
        min(case when purchase_events > 0 then activity_date end) as first_purchase_date,
        max(case when purchase_events > 0 then activity_date end) as last_purchase_date,
        {{ exact_sum('case when purchase_events > 0 and activity_date > user_first_purchase_date then revenue end') }}
            as repeat_purchase_day_revenue,
        count(case when purchase_events > 0 and activity_date > user_first_purchase_date then 1 end)
            as repeat_purchase_days,
        count(gap_days) as gap_count,
        -- the middle gap, or the mean of the two middle gaps when their number is even
        {{ median_of('gap_days') }} as median_gap_days,
        max(case when gap_days >= {{ reactivation_gap }} then activity_date end) as last_return_date,
        count(case when is_first_n_days then 1 end) as active_days_first_n_days,
        cast(sum(case when is_first_n_days then key_events else 0 end) as {{ dbt.type_bigint() }})
            as key_events_first_n_days,
        min(first_signup_at) as first_signup_at,
        min(first_key_event_at) as first_key_event_at,
        cast(sum(referral_events) as {{ dbt.type_bigint() }}) as referral_events,
        cast(sum(review_events) as {{ dbt.type_bigint() }}) as review_events,
        cast(sum(advocacy_events) as {{ dbt.type_bigint() }}) as advocacy_events
    from flagged_days
    group by user_id
),

active_months as (
    -- the calendar months the user was active in (user_loyalty_segments' month streaks)
    select distinct
        user_id,
        {{ period_index('activity_date', 'month') }} as month_index
    from dated_days
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
        max(month_index) as last_month_index,
        count(*) as months
    from month_islands
    group by user_id, island
),

ranked_streaks as (
    select
        user_id,
        months,
        row_number() over (partition by user_id order by last_month_index desc) as recency_rank
    from streaks
),

user_streaks as (
    select
        user_id,
        max(months) as longest_active_month_streak,
        max(case when recency_rank = 1 then months end) as latest_active_month_streak
    from ranked_streaks
    group by user_id
),

activity as (
    select
        day_sums.*,
        user_streaks.longest_active_month_streak,
        user_streaks.latest_active_month_streak
    from day_sums
    inner join user_streaks on day_sums.user_id = user_streaks.user_id
),

final as (
    -- in an incremental run every touched user, those left without days as an empty row
    select
        {{ 'touched_users' if is_incremental() else 'activity' }}.user_id,
        activity.first_seen_at,
        activity.last_seen_at,
        activity.first_seen_date,
        activity.last_seen_date,
        coalesce(activity.active_days_total, 0) as active_days_total,
        activity.events_total,
        activity.purchase_days,
        activity.first_purchase_date,
        activity.last_purchase_date,
        activity.repeat_purchase_day_revenue,
        activity.repeat_purchase_days,
        activity.gap_count,
        activity.median_gap_days,
        activity.last_return_date,
        activity.active_days_first_n_days,
        activity.key_events_first_n_days,
        activity.first_signup_at,
        activity.first_key_event_at,
        activity.referral_events,
        activity.review_events,
        activity.advocacy_events,
        activity.longest_active_month_streak,
        activity.latest_active_month_streak,
        {{ lineage_columns(fingerprint) }}
    from {{ 'touched_users' if is_incremental() else 'activity' }}
    {%- if is_incremental() %}
    left join activity on touched_users.user_id = activity.user_id
    {%- endif %}
)

select * from final
