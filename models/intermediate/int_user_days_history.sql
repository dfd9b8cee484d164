{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['user_id', 'activity_date'],
    on_schema_change='fail',
    post_hook=["{{ delete_empty_rows('events') }}"],
) }}

{#- One row per user and UTC day with at least one valid, unique event, on any date (the as_of
    cut is made by the view int_user_days). Nothing here depends on as_of, so a row stays
    right when later runs move as_of.

    Incremental: the user-days touched by rows stg_events__classified wrote since this model's
    last run (new events, events that turned out to repeat others) and the days of users
    erased since then are computed again from every valid event of that user and day. A day
    left without events is written as an empty row, which replaces the old one, and the
    post-hook deletes it.

    The signal columns count the day's events of the event lists the product and loyalty
    segments read (signups, key events, referrals, reviews, advocacy), and hold the day's
    latest marketing consent grant and withdrawal, so those marts read user-days instead of
    every event (user_marketing_consent read the 100M events at 100M events). Each row stores
    a fingerprint of the lists (vars, and the seed's key events): when they change, the next
    run computes every user-day again. -#}

-- depends_on: {{ ref('erasure_requests') }}
-- depends_on: {{ ref('event_taxonomy') }}

{%- set signals = {
    'signup': 'valid_events.event_name in ' ~ product_event_list('signup_events'),
    'key': 'key_event_names.event_name is not null',
    'referral': 'valid_events.event_name in ' ~ loyalty_event_list('referral_events'),
    'review': 'valid_events.event_name in ' ~ loyalty_event_list('review_events'),
    'advocacy': 'valid_events.event_name in ' ~ loyalty_event_list('advocacy_events'),
} %}
{%- set consent_signals = {
    'grant': 'valid_events.event_name in '
        ~ event_name_list('consent_granted_events', ['marketing_consent_granted', 'subscribe']),
    'withdrawal': 'valid_events.event_name in '
        ~ event_name_list('consent_withdrawn_events', ['marketing_consent_withdrawn', 'unsubscribe']),
} %}
{#- the key-event condition's SQL names the seed's relation: its definition is fingerprinted instead -#}
{%- set fingerprint = definition_fingerprint(
    [signals['signup'], signals['referral'], signals['review'], signals['advocacy'], key_event_fingerprint(),
     consent_signals['grant'], consent_signals['withdrawal']]
) %}
{%- set every_day = definition_changed(fingerprint) %}

with

classified as {{ inlined_cte() }} (
    -- not held as one set: each reader scans the table, so the join with the touched days
    -- skips the row groups of other dates (2.6 s to 0.3 s for one new day at 10M events, history
    -- in time order)
    select * from {{ ref('stg_events__classified') }}
),
{% if is_incremental() %}
touched_days as (
    {{ touched_user_days('classified', every_day=every_day) }}
),
{% endif %}
valid_events as (
    {{ valid_classified_events('classified') }}
),

key_event_names as (
    -- key_event_condition in a where clause (Spark allows `in (subquery)` only there), then
    -- joined by name
    select distinct event_name
    from valid_events
    where {{ key_event_condition('event_name') }}
),

signal_events as (
    select
        valid_events.*,
        {{ signals['signup'] }} as is_signup,
        {{ signals['key'] }} as is_key,
        {{ signals['referral'] }} as is_referral,
        {{ signals['review'] }} as is_review,
        {{ signals['advocacy'] }} as is_advocacy,
        {{ consent_signals['grant'] }} as is_consent_grant,
        {{ consent_signals['withdrawal'] }} as is_consent_withdrawal
    from valid_events
    left join key_event_names on valid_events.event_name = key_event_names.event_name
),

user_sessions as (
    -- by session first: a second grouping is cheaper than count(distinct session_id) per day
    -- (1.0 s against 1.3 s at 10M events); events without a session form one group per day
    select
        user_id,
        event_date,
        session_id,
        count(*) as events,
        count(case when is_purchase then 1 end) as purchase_events,
        sum(cast(case when is_purchase then coalesce(revenue, 0) else 0 end as {{ exact_decimal() }})) as revenue,
        min(event_ts) as first_event_at,
        max(event_ts) as last_event_at,
        count(case when is_signup then 1 end) as signup_events,
        count(case when is_key then 1 end) as key_events,
        count(case when is_referral then 1 end) as referral_events,
        count(case when is_review then 1 end) as review_events,
        count(case when is_advocacy then 1 end) as advocacy_events,
        min(case when is_signup then event_ts end) as first_signup_at,
        min(case when is_key then event_ts end) as first_key_event_at,
        max(case when is_consent_grant then event_ts end) as last_consent_grant_at,
        max(case when is_consent_withdrawal then event_ts end) as last_consent_withdrawal_at
    from signal_events
    group by user_id, event_date, session_id
),

user_days as (
    select
        user_id,
        event_date as activity_date,
        cast(sum(events) as {{ dbt.type_bigint() }}) as events,
        count(session_id) as sessions,
        cast(sum(purchase_events) as {{ dbt.type_bigint() }}) as purchase_events,
        cast(sum(revenue) as {{ type_double() }}) as revenue,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at,
        cast(sum(signup_events) as {{ dbt.type_bigint() }}) as signup_events,
        cast(sum(key_events) as {{ dbt.type_bigint() }}) as key_events,
        cast(sum(referral_events) as {{ dbt.type_bigint() }}) as referral_events,
        cast(sum(review_events) as {{ dbt.type_bigint() }}) as review_events,
        cast(sum(advocacy_events) as {{ dbt.type_bigint() }}) as advocacy_events,
        min(first_signup_at) as first_signup_at,
        min(first_key_event_at) as first_key_event_at,
        max(last_consent_grant_at) as last_consent_grant_at,
        max(last_consent_withdrawal_at) as last_consent_withdrawal_at
    from user_sessions
    group by user_id, event_date
),

final as (
    {%- if is_incremental() %}
        select
            touched_days.user_id,
            touched_days.activity_date,
            coalesce(user_days.events, 0) as events,
            coalesce(user_days.sessions, 0) as sessions,
            coalesce(user_days.purchase_events, 0) as purchase_events,
            coalesce(user_days.revenue, 0) as revenue,
            user_days.first_event_at,
            user_days.last_event_at,
            coalesce(user_days.signup_events, 0) as signup_events,
            coalesce(user_days.key_events, 0) as key_events,
            coalesce(user_days.referral_events, 0) as referral_events,
            coalesce(user_days.review_events, 0) as review_events,
            coalesce(user_days.advocacy_events, 0) as advocacy_events,
            user_days.first_signup_at,
            user_days.first_key_event_at,
            user_days.last_consent_grant_at,
            user_days.last_consent_withdrawal_at,
            {{ lineage_columns(fingerprint, 'classified') }}
        from touched_days
        left join user_days
            on touched_days.user_id = user_days.user_id and touched_days.activity_date = user_days.activity_date
    {%- else %}
        select
            user_id,
            activity_date,
            events,
            sessions,
            purchase_events,
            revenue,
            first_event_at,
            last_event_at,
            signup_events,
            key_events,
            referral_events,
            review_events,
            advocacy_events,
            first_signup_at,
            first_key_event_at,
            last_consent_grant_at,
            last_consent_withdrawal_at,
            {{ lineage_columns(fingerprint, 'classified') }}
        from user_days
    {%- endif %}
)

select * from final
{%- if not is_incremental() %}
-- stored in date order, which later runs keep as they add the latest days (late events
-- aside): the date windows of fct_user_behavior, power_user_curve and int_daily_active_users,
-- and a run's delete of the days it writes again, then read only the row groups that can
-- hold them
    order by activity_date
{%- endif %}
