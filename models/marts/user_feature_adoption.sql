{#- One row per user and adopted feature (docs/segments/product.md, section 1.1). Only events
    whose name is in the seed event_taxonomy count; a feature is adopted when it was used at
    least feature_adoption_min_uses times up to as_of. Read from int_user_features (each user's
    feature-days on or before as_of summed up, kept incremental by user), not from the events. -#}

with

user_features as (
    select * from {{ ref('int_user_features') }}
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
    where user_features.uses >= {{ product_int_var('feature_adoption_min_uses', 1) }}
)

select * from final
