{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['user_id', 'activity_date'],
    on_schema_change='fail',
    post_hook=["{{ delete_empty_rows('uses') }}"],
) }}

{#- One row per user, feature of the seed event_taxonomy and UTC day with at least one valid,
    unique event of that feature, on any date (user_feature_adoption makes the as_of cut).

    Incremental like int_user_days_history, by user-day: the user-days touched by rows
    stg_events__classified wrote since this model's last run, and the days of users erased
    since, are computed again from every valid event of that user and day; a user-day left
    without feature events is written as one empty row, which replaces the old rows, and the
    post-hook deletes it. Every row carries the fingerprint of the taxonomy it was built with:
    when the seed maps events to features differently, the run recomputes every user-day. -#}

-- depends_on: {{ ref('erasure_requests') }}

{%- set fingerprint = taxonomy_fingerprint() %}
{%- set taxonomy_changed = definition_changed(fingerprint, 'taxonomy_fingerprint') %}

with

classified as {{ inlined_cte() }} (
    -- not held as one set: the join with the touched days skips the row groups of other dates
    select * from {{ ref('stg_events__classified') }}
),

event_features as (
    -- distinct, so that a name listed twice after normalisation never counts an event twice
    select distinct
        event_name,
        feature
    from ({{ taxonomy_events() }}) as taxonomy
),
{% if is_incremental() %}
touched_days as (
    {{ touched_user_days('classified', every_day=taxonomy_changed) }}
),
{% endif %}
valid_events as (
    {{ valid_classified_events('classified') }}
),

feature_days as (
    select
        valid_events.user_id,
        event_features.feature,
        valid_events.event_date as activity_date,
        count(*) as uses,
        min(valid_events.event_ts) as first_used_at
    from valid_events
    inner join event_features on valid_events.event_name = event_features.event_name
    group by
        valid_events.user_id,
        event_features.feature,
        valid_events.event_date
),

final as (
    {%- if is_incremental() %}
        select
            touched_days.user_id,
            feature_days.feature,
            touched_days.activity_date,
            cast(coalesce(feature_days.uses, 0) as {{ dbt.type_bigint() }}) as uses,
            feature_days.first_used_at,
            '{{ fingerprint }}' as taxonomy_fingerprint,
            (select max(classified.load_batch) from classified) as load_batch
        from touched_days
        left join feature_days
            on touched_days.user_id = feature_days.user_id and touched_days.activity_date = feature_days.activity_date
    {%- else %}
        select
            user_id,
            feature,
            activity_date,
            cast(uses as {{ dbt.type_bigint() }}) as uses,
            first_used_at,
            '{{ fingerprint }}' as taxonomy_fingerprint,
            (select max(classified.load_batch) from classified) as load_batch
        from feature_days
    {%- endif %}
)

select * from final
{%- if not is_incremental() %}
-- stored in date order, which later runs keep as they add the latest days (late events
-- aside): int_user_features' read of an appending user's new days, and a run's delete of the
-- days it writes again, then read only the row groups that can hold them
    order by activity_date
{%- endif %}
