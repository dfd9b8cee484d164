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

    The gaps between active days (their number, median and the latest return) come from
    int_user_gaps, which counts them by length and adds a day's new gaps to its stored counts:
    the median needs every gap, which this model no longer reads.

    Incremental by user. A user all of whose rows that stg_events__classified wrote since this
    model's last run fall after their stored last active day (or a new user) gets the days
    since then added to the stored row: sums and counts add up, first days stay, a run of new
    months that starts the month after the stored last active month continues the stored
    latest streak, and revenue adds up as an exact decimal. Every other user with new rows
    (events on or before their last active day, events found to repeat others) and every user
    erased since is summed again from all their user-days. At 100M events a day's 84K users
    hold 4.9M of the 17M user-days, and all of them add days: this model went from 5.0-5.4 s
    to 1.4 s of the daily run. A user left without days is written as an empty row, which
    replaces the old one, and the post-hook deletes it. Each row stores the fingerprint of the
    as_of cut, the vars first_n_days and reactivation_gap_days, and of how
    int_user_days_history counted the days' signals: when any of them changes, the run sums
    every user again. -#}

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
{#- summed the same way over all of a user's days and over the days an appending user adds -#}
{%- set first_and_last_days -%}
    min(first_event_at) as first_seen_at,
        max(last_event_at) as last_seen_at,
        min(activity_date) as first_seen_date,
        max(activity_date) as last_seen_date,
        count(*) as active_days_total,
{%- endset %}

with

user_days as {{ inlined_cte() }} (
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
        advocacy_events,
        load_batch
    from {{ ref('int_user_days_history') }}
    where {{ as_of_cut('activity_date') }}
),
{% if is_incremental() %}
touched_users as (
    {{ touched_users(every_user, 'user_days') }}
),

changed_from as (
    {{ first_changed_dates() }}
),

appending_users as (
    -- users whose changes all fall after their stored last active day, or who are new: their
    -- stored row plus the days since (an erased user has no rows with a user id)
    select
        changed_from.user_id,
        stored.first_seen_at,
        stored.last_seen_at,
        stored.first_seen_date,
        stored.last_seen_date,
        stored.active_days_total,
        stored.events_total,
        stored.purchase_days,
        stored.first_purchase_date,
        stored.last_purchase_date,
        stored.repeat_purchase_day_revenue,
        stored.repeat_purchase_days,
        stored.active_days_first_n_days,
        stored.key_events_first_n_days,
        stored.first_signup_at,
        stored.first_key_event_at,
        stored.referral_events,
        stored.review_events,
        stored.advocacy_events,
        stored.longest_active_month_streak,
        stored.latest_active_month_streak
    from changed_from
    left join {{ this }} as stored on changed_from.user_id = stored.user_id
    where {{ appends_after('stored.last_seen_date', every_user) }}
),

recounted_users as (
    -- every other touched user is summed again from all their days
    {{ recounted_users() }}
),
{% endif %}
dated_days as (
    -- each day with the user's first day and first purchase day
    select
        user_days.*,
        min(user_days.activity_date) over (partition by user_days.user_id) as user_first_seen_date,
        min(case when user_days.purchase_events > 0 then user_days.activity_date end)
            over (partition by user_days.user_id) as user_first_purchase_date
    from user_days
    {%- if is_incremental() %}
    inner join recounted_users on user_days.user_id = recounted_users.user_id
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
        {{ first_and_last_days }}
        cast(sum(events) as {{ dbt.type_bigint() }}) as events_total,
        count(case when purchase_events > 0 then 1 end) as purchase_days,
        min(case when purchase_events > 0 then activity_date end) as first_purchase_date,
        max(case when purchase_events > 0 then activity_date end) as last_purchase_date,
        {{ exact_sum('case when purchase_events > 0 and activity_date > user_first_purchase_date then revenue end') }}
            as repeat_purchase_day_revenue,
        count(case when purchase_events > 0 and activity_date > user_first_purchase_date then 1 end)
            as repeat_purchase_days,
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

{% if is_incremental() -%}
new_days as (
    -- an appending user's days after the stored last active day: all written since the last
    -- run, so the load batch finds them in the newest blocks of int_user_days_history
    select
        user_days.*,
        coalesce(
            appending_users.first_seen_date,
            min(user_days.activity_date) over (partition by user_days.user_id)
        ) as user_first_seen_date,
        coalesce(
            appending_users.first_purchase_date,
            min(case when user_days.purchase_events > 0 then user_days.activity_date end)
                over (partition by user_days.user_id)
        ) as user_first_purchase_date
    from user_days
    inner join appending_users on user_days.user_id = appending_users.user_id
    where
        user_days.load_batch > {{ processed_load_batch() }}
        and (appending_users.last_seen_date is null or user_days.activity_date > appending_users.last_seen_date)
),

new_sums as (
    select
        user_id,
        {{ first_and_last_days }}
        sum(events) as events_total,
        count(case when purchase_events > 0 then 1 end) as purchase_days,
        min(case when purchase_events > 0 then activity_date end) as first_purchase_date,
        max(case when purchase_events > 0 then activity_date end) as last_purchase_date,
        sum(cast(case when purchase_events > 0 and activity_date > user_first_purchase_date then revenue end
            as {{ exact_decimal() }})) as repeat_purchase_day_revenue,
        count(case when purchase_events > 0 and activity_date > user_first_purchase_date then 1 end)
            as repeat_purchase_days,
        count(case when {{ days_between('user_first_seen_date', 'activity_date') }} < {{ n_days }} then 1 end)
            as active_days_first_n_days,
        sum(case when {{ days_between('user_first_seen_date', 'activity_date') }} < {{ n_days }} then key_events else 0 end)
            as key_events_first_n_days,
        min(first_signup_at) as first_signup_at,
        min(first_key_event_at) as first_key_event_at,
        sum(referral_events) as referral_events,
        sum(review_events) as review_events,
        sum(advocacy_events) as advocacy_events
    from new_days
    group by user_id
),

new_month_islands as (
    -- the new active months after the stored last active month, in runs of consecutive months
    select
        new_months.user_id,
        new_months.month_index,
        new_months.month_index - row_number() over (
            partition by new_months.user_id order by new_months.month_index
        ) as island
    from (
        select distinct
            new_days.user_id,
            {{ period_index('new_days.activity_date', 'month') }} as month_index
        from new_days
        inner join appending_users on new_days.user_id = appending_users.user_id
        where
            appending_users.last_seen_date is null
            or {{ period_index('new_days.activity_date', 'month') }}
            > {{ period_index('appending_users.last_seen_date', 'month') }}
    ) as new_months
),

new_islands as (
    select
        user_id,
        min(month_index) as first_month_index,
        max(month_index) as last_month_index,
        count(*) as months
    from new_month_islands
    group by user_id, island
),

new_streaks as (
    -- a run starting the month after the stored last active month continues the stored latest
    -- streak
    select
        new_islands.user_id,
        new_islands.last_month_index,
        new_islands.months + case
            when
                appending_users.last_seen_date is not null
                and new_islands.first_month_index = {{ period_index('appending_users.last_seen_date', 'month') }} + 1
                then appending_users.latest_active_month_streak
            else 0
        end as months
    from new_islands
    inner join appending_users on new_islands.user_id = appending_users.user_id
),

new_user_streaks as (
    select
        user_id,
        max(months) as longest_streak,
        max(case when recency_rank = 1 then months end) as latest_streak
    from (
        select
            user_id,
            months,
            row_number() over (partition by user_id order by last_month_index desc) as recency_rank
        from new_streaks
    ) as ranked
    group by user_id
),

appended as (
    -- the stored row of an appending user with their new days added (a new user: the new
    -- days alone); revenue adds up as an exact decimal, as day_sums sums it
    select
        appending_users.user_id,
        coalesce(appending_users.first_seen_at, new_sums.first_seen_at) as first_seen_at,
        coalesce(new_sums.last_seen_at, appending_users.last_seen_at) as last_seen_at,
        coalesce(appending_users.first_seen_date, new_sums.first_seen_date) as first_seen_date,
        coalesce(new_sums.last_seen_date, appending_users.last_seen_date) as last_seen_date,
        coalesce(appending_users.active_days_total, 0) + coalesce(new_sums.active_days_total, 0) as active_days_total,
        cast(coalesce(appending_users.events_total, 0) + coalesce(new_sums.events_total, 0) as {{ dbt.type_bigint() }})
            as events_total,
        coalesce(appending_users.purchase_days, 0) + coalesce(new_sums.purchase_days, 0) as purchase_days,
        coalesce(appending_users.first_purchase_date, new_sums.first_purchase_date) as first_purchase_date,
        coalesce(new_sums.last_purchase_date, appending_users.last_purchase_date) as last_purchase_date,
        cast(
            case
                when appending_users.repeat_purchase_day_revenue is null then new_sums.repeat_purchase_day_revenue
                when new_sums.repeat_purchase_day_revenue is null
                    then cast(appending_users.repeat_purchase_day_revenue as {{ exact_decimal() }})
                else cast(appending_users.repeat_purchase_day_revenue as {{ exact_decimal() }})
                    + new_sums.repeat_purchase_day_revenue
            end
            as {{ type_double() }}
        ) as repeat_purchase_day_revenue,
        coalesce(appending_users.repeat_purchase_days, 0) + coalesce(new_sums.repeat_purchase_days, 0)
            as repeat_purchase_days,
        coalesce(appending_users.active_days_first_n_days, 0) + coalesce(new_sums.active_days_first_n_days, 0)
            as active_days_first_n_days,
        cast(
            coalesce(appending_users.key_events_first_n_days, 0) + coalesce(new_sums.key_events_first_n_days, 0)
            as {{ dbt.type_bigint() }}
        ) as key_events_first_n_days,
        {{ null_safe_least('appending_users.first_signup_at', 'new_sums.first_signup_at') }} as first_signup_at,
        {{ null_safe_least('appending_users.first_key_event_at', 'new_sums.first_key_event_at') }} as first_key_event_at,
        cast(coalesce(appending_users.referral_events, 0) + coalesce(new_sums.referral_events, 0) as {{ dbt.type_bigint() }})
            as referral_events,
        cast(coalesce(appending_users.review_events, 0) + coalesce(new_sums.review_events, 0) as {{ dbt.type_bigint() }})
            as review_events,
        cast(coalesce(appending_users.advocacy_events, 0) + coalesce(new_sums.advocacy_events, 0) as {{ dbt.type_bigint() }})
            as advocacy_events,
        {{ null_safe_greatest('appending_users.longest_active_month_streak', 'new_user_streaks.longest_streak') }}
            as longest_active_month_streak,
        coalesce(new_user_streaks.latest_streak, appending_users.latest_active_month_streak)
            as latest_active_month_streak
    from appending_users
    left join new_sums on appending_users.user_id = new_sums.user_id
    left join new_user_streaks on appending_users.user_id = new_user_streaks.user_id
    -- a new user with days only after as_of has none here: no row
    where appending_users.active_days_total is not null or new_sums.user_id is not null
),
{%- endif %}

gap_rows as (
    -- the user's gaps between active days as int_user_gaps counts them, by length, each with
    -- the number of gaps up to and including its length
    select
        user_gaps.user_id,
        user_gaps.gap_days,
        user_gaps.gaps,
        user_gaps.last_return_date,
        sum(user_gaps.gaps) over (
            partition by user_gaps.user_id
            order by user_gaps.gap_days
            rows between unbounded preceding and current row
        ) as gaps_up_to,
        sum(user_gaps.gaps) over (partition by user_gaps.user_id) as gap_total
    from {{ ref('int_user_gaps') }} as user_gaps
    {%- if is_incremental() %}
    inner join touched_users on user_gaps.user_id = touched_users.user_id
    {%- endif %}
),

gap_sums as (
    -- the median: the gap at position ceil(n / 2) and the one at floor(n / 2) + 1 in length
    -- order (the same one when n is odd), averaged
    select
        user_id,
        cast(max(gap_total) as {{ dbt.type_bigint() }}) as gap_count,
        cast(
            min(case when gaps > 0 and 2 * gaps_up_to >= gap_total then gap_days end)
            + min(case when gaps > 0 and 2 * gaps_up_to > gap_total then gap_days end)
            as {{ type_double() }}
        ) / 2 as median_gap_days,
        max(last_return_date) as last_return_date
    from gap_rows
    group by user_id
),

summed as (
    select
        day_sums.*,
        user_streaks.longest_active_month_streak,
        user_streaks.latest_active_month_streak
    from day_sums
    inner join user_streaks on day_sums.user_id = user_streaks.user_id
    {%- if is_incremental() %}
    union all
    select * from appended
    {%- endif %}
),

activity as (
    select
        summed.*,
        gap_sums.gap_count,
        gap_sums.median_gap_days,
        gap_sums.last_return_date
    from summed
    inner join gap_sums on summed.user_id = gap_sums.user_id
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
