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
    post-hook deletes it. -#}

-- depends_on: {{ ref('erasure_requests') }}

with

classified as {{ inlined_cte() }} (
    -- not held as one set: each reader scans the table, so the join with the touched days
    -- skips the row groups of other dates (2.6 s to 0.3 s for one new day at 10M events, history
    -- in time order)
    select * from {{ ref('stg_events__classified') }}
),
{% if is_incremental() %}
touched_days as (
    {{ touched_user_days('classified') }}
),
{% endif %}
valid_events as (
    {{ valid_classified_events('classified') }}
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
        max(event_ts) as last_event_at
    from valid_events
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
        max(last_event_at) as last_event_at
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
            (select max(classified.load_batch) from classified) as load_batch
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
            (select max(classified.load_batch) from classified) as load_batch
        from user_days
    {%- endif %}
)

select * from final
