{#- A view: as_of and days_since_last_used move every day on every row (3.6M rows at 100M
    events), so a table was written again in full by each daily run (2.4-2.7 s of it). The
    models of the project read int_user_features through adopted_features() instead. -#}
{{ config(materialized='view') }}

{#- One row per user and adopted feature (docs/segments/product.md, section 1.1). Only events
    whose name is in the seed event_taxonomy count; a feature is adopted when it was used at
    least feature_adoption_min_uses times up to as_of. Read from int_user_features (each user's
    feature-days on or before as_of summed up, kept incremental by user), not from the events. -#}

with

user_features as (
    {{ adopted_features([
        'user_id', 'feature', 'first_used_at', 'first_used_date', 'uses', 'active_days_using',
        'last_used_date'
    ]) }}
),

taxonomy as (
    {{ taxonomy_events() }}
),

run_context as (
    select {{ as_of_date() }} as as_of
),

users as (
    -- read from int_user_activity (the values fct_user_behavior copies), so that this model
    -- runs beside fct_user_behavior, not after it
    select
        activity.user_id,
        run_context.as_of,
        activity.first_seen_date
    from {{ ref('int_user_activity') }} as activity
    cross join run_context
),

feature_categories as (
    select
        feature,
        min(category) as category
    from taxonomy
    group by feature
),

final as (
    select
        user_features.user_id,
        user_features.feature,
        users.as_of,
        feature_categories.category,
        user_features.first_used_at,
        user_features.first_used_date,
        {{ days_between(
            'users.first_seen_date',
            'user_features.first_used_date'
        ) }} as days_to_adopt,
        user_features.uses,
        user_features.active_days_using,
        user_features.last_used_date,
        {{ days_between(
            'user_features.last_used_date',
            'users.as_of'
        ) }} as days_since_last_used
    from user_features
    inner join users on user_features.user_id = users.user_id
    inner join feature_categories on user_features.feature = feature_categories.feature
)

select * from final
