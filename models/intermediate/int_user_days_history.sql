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

classified as (
    select * from {{ ref('stg_events__classified') }}
),
{% if is_incremental() %}
touched_days as (
    select distinct
        user_id,
        event_date as activity_date
    from classified
    where load_batch > {{ processed_load_batch() }} and user_id is not null and event_date is not null
    union
    select
        this_model.user_id,
        this_model.activity_date
    from {{ this }} as this_model
    inner join ({{ erased_user_ids() }}) as erased
        on this_model.user_id = {{ pseudonymised('erased.user_id') }}
),
{% endif %}
valid_events as (
    select classified.*
    from classified
    {%- if is_incremental() %}
    inner join touched_days
        on classified.user_id = touched_days.user_id and classified.event_date = touched_days.activity_date
    {%- endif %}
    where
        not classified.is_erased
        and classified.quarantine_reason is null
        and classified.duplicate_reason is null
),

user_days as (
    select
        user_id,
        event_date as activity_date,
        count(*) as events,
        count(distinct session_id) as sessions,
        count(case when is_purchase then 1 end) as purchase_events,
        {{ exact_sum('case when is_purchase then coalesce(revenue, 0) else 0 end') }} as revenue,
        min(event_ts) as first_event_at,
        max(event_ts) as last_event_at
    from valid_events
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
