{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['user_id', 'feature'],
    on_schema_change='fail',
    post_hook=["{{ delete_empty_rows('uses') }}"],
) }}

{#- One row per user and feature of the seed event_taxonomy used on or before as_of: the
    user's feature-days of int_user_feature_days_history summed up. user_feature_adoption
    reads it instead of summing the 33M feature-days at 100M events on every run.

    Incremental by user, from the user-days stg_events__classified wrote rows for since this
    model's last run (new events, events found to repeat others) and the users erased since:
    - a user whose touched days all come after their latest stored feature day only gains
      days: the stored sums and the touched days' feature-days are added up (at 100M events
      a day touches 84K users, who hold 4.9M of the 17M user-days: adding avoids reading
      them again);
    - any other touched user (a late event for an old day, a repeat found, an erasure) is
      summed again from all their feature-days.
    Only the rows that can change are written: an appending user's features used on the
    touched days, and every stored and counted feature of a user summed again (at 100M
    events 190K rows a day instead of the 590K the touched users hold). A feature left
    without days is written as an empty row (uses 0), which replaces the old one, and the
    post-hook deletes it. Each row stores the fingerprint of the taxonomy and of the
    as_of cut: when the seed or the var as_of changes, the run sums every user again. -#}

-- depends_on: {{ ref('erasure_requests') }}
-- depends_on: {{ ref('stg_events__classified') }}
-- depends_on: {{ ref('event_taxonomy') }}

{%- set fingerprint = definition_fingerprint([taxonomy_fingerprint(), as_of_cut('activity_date')]) %}
{%- set every_user = definition_changed(fingerprint) %}

with

feature_days as {{ inlined_cte() }} (
    -- not held as one set: each reader filters it (the appending users' read skips older days)
    select
        user_id,
        feature,
        activity_date,
        uses,
        first_used_at
    from {{ ref('int_user_feature_days_history') }}
    where {{ as_of_cut('activity_date') }}
),
{% if is_incremental() %}
touched_days as (
    {%- if every_user %}
        select
            user_id,
            cast(null as date) as activity_date,
            false as is_erased
        from feature_days
        union
        select
            user_id,
            cast(null as date) as activity_date,
            false as is_erased
        from {{ this }}
    {%- else %}
        select distinct
            user_id,
            event_date as activity_date,
            false as is_erased
        from {{ ref('stg_events__classified') }}
        where load_batch > {{ processed_load_batch() }} and user_id is not null and event_date is not null
        union
        select distinct
            this_model.user_id,
            this_model.first_used_date as activity_date,
            true as is_erased
        from {{ this }} as this_model
        inner join ({{ erased_user_ids() }}) as erased
            on this_model.user_id = {{ pseudonymised('erased.user_id') }}
    {%- endif %}
),

stored_users as (
    select
        user_id,
        max(last_used_date) as last_used_date
    from {{ this }}
    where user_id in (select touched_days.user_id from touched_days)
    group by user_id
),

touched_users as (
    -- appending: every touched day after the user's latest stored feature day
    select
        touched_days.user_id,
        {%- if every_user %}
            false as is_appending
        {%- else %}
            max(case when touched_days.is_erased then 1 else 0 end) = 0
            and (
                max(stored_users.last_used_date) is null
                or min(touched_days.activity_date) > max(stored_users.last_used_date)
            ) as is_appending
        {%- endif %}
    from touched_days
    left join stored_users on touched_days.user_id = stored_users.user_id
    group by touched_days.user_id
),

appended_days as (
    select distinct
        touched_days.user_id,
        touched_days.activity_date
    from touched_days
    inner join touched_users on touched_days.user_id = touched_users.user_id and touched_users.is_appending
),

stored_sums as (
    select
        stored.user_id,
        stored.feature,
        stored.first_used_at,
        stored.first_used_date,
        stored.last_used_date,
        stored.uses,
        stored.active_days_using
    from {{ this }} as stored
    inner join touched_users on stored.user_id = touched_users.user_id and touched_users.is_appending
),
{% endif %}
read_days as (
    {%- if is_incremental() %}
        -- users summed again: all their days
        select feature_days.*
        from feature_days
        inner join touched_users
            on feature_days.user_id = touched_users.user_id and not touched_users.is_appending
        union all
        -- appending users: the feature-days of their touched days, which are recent: the date
        -- bound skips the older days before the join reads them
        select feature_days.*
        from feature_days
        inner join appended_days
            on feature_days.user_id = appended_days.user_id and feature_days.activity_date = appended_days.activity_date
        where feature_days.activity_date >= (select min(appended_days.activity_date) from appended_days)
    {%- else %}
        select * from feature_days
    {%- endif %}
),

read_sums as (
    select
        user_id,
        feature,
        min(first_used_at) as first_used_at,
        min(activity_date) as first_used_date,
        max(activity_date) as last_used_date,
        cast(sum(uses) as {{ dbt.type_bigint() }}) as uses,
        count(*) as active_days_using
    from read_days
    group by
        user_id,
        feature
),
{% if is_incremental() %}
user_features as (
    -- the counted sums, plus an appending user's stored sums (their stored days all come
    -- first); a stored feature not counted again is either left alone (appending user) or
    -- emptied (user summed again), so only the counted features need sums
    select
        read_sums.user_id,
        read_sums.feature,
        coalesce(stored_sums.first_used_at, read_sums.first_used_at) as first_used_at,
        coalesce(stored_sums.first_used_date, read_sums.first_used_date) as first_used_date,
        read_sums.last_used_date,
        coalesce(stored_sums.uses, 0) + read_sums.uses as uses,
        coalesce(stored_sums.active_days_using, 0) + read_sums.active_days_using as active_days_using
    from read_sums
    left join stored_sums
        on read_sums.user_id = stored_sums.user_id and read_sums.feature = stored_sums.feature
),

rewritten as (
    -- the (user, feature) rows this run writes: an appending user's features of the touched
    -- days, and every counted and every stored feature of a user summed again
    select
        user_id,
        feature
    from read_sums
    union
    select
        stored.user_id,
        stored.feature
    from {{ this }} as stored
    inner join touched_users on stored.user_id = touched_users.user_id and not touched_users.is_appending
),
{% endif %}
final as (
    {%- if is_incremental() %}
        select
            rewritten.user_id,
            rewritten.feature,
            user_features.first_used_at,
            user_features.first_used_date,
            user_features.last_used_date,
            cast(coalesce(user_features.uses, 0) as {{ dbt.type_bigint() }}) as uses,
            cast(coalesce(user_features.active_days_using, 0) as {{ dbt.type_bigint() }}) as active_days_using,
            {{ lineage_columns(fingerprint) }}
        from rewritten
        left join user_features
            on rewritten.user_id = user_features.user_id and rewritten.feature = user_features.feature
    {%- else %}
        select
            user_id,
            feature,
            first_used_at,
            first_used_date,
            last_used_date,
            uses,
            cast(active_days_using as {{ dbt.type_bigint() }}) as active_days_using,
            {{ lineage_columns(fingerprint) }}
        from read_sums
    {%- endif %}
)

select * from final
