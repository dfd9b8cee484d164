{#- One row per user and adopted feature (docs/segments/product.md, section 1.1). Only events
    whose name is in the seed event_taxonomy count; a feature is adopted when it was used at
    least feature_adoption_min_uses times up to as_of. -#}

with

events as (
    select
        user_id,
        event_name,
        event_ts,
        event_date
    from {{ ref('stg_events') }}
),

taxonomy as (
    {{ taxonomy_events() }}
),

users as (
    select
        user_id,
        as_of,
        first_seen_date
    from {{ ref('fct_user_behavior') }}
),

event_features as (
    -- distinct, so that a name listed twice after normalisation never counts an event twice
    select distinct
        event_name,
        feature
    from taxonomy
),

feature_categories as (
    select
        feature,
        min(category) as category
    from taxonomy
    group by feature
),

feature_days as (
    -- aggregate by day first: the event table is the largest input
    select
        events.user_id,
        event_features.feature,
        events.event_date,
        count(*) as uses,
        min(events.event_ts) as first_used_at
    from events
    inner join event_features on events.event_name = event_features.event_name
    group by
        events.user_id,
        event_features.feature,
        events.event_date
),

user_features as (
    select
        user_id,
        feature,
        min(first_used_at) as first_used_at,
        min(event_date) as first_used_date,
        max(event_date) as last_used_date,
        cast(sum(uses) as {{ dbt.type_bigint() }}) as uses,
        count(*) as active_days_using
    from feature_days
    group by
        user_id,
        feature
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
