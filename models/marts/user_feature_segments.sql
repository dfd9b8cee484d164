{#- One row per user: how many features of the event_taxonomy the user adopted, the share of
    all features, the first feature and the adoption segment (docs/segments/product.md, 1.2). -#}

with

users as (
    select
        user_id,
        as_of
    from {{ ref('fct_user_behavior') }}
),

adoption as (
    select
        user_id,
        feature,
        first_used_at
    from {{ ref('user_feature_adoption') }}
),

taxonomy as (
    {{ taxonomy_events() }}
),

feature_count as (
    select count(distinct feature) as features_in_taxonomy
    from taxonomy
),

ranked_adoption as (
    select
        user_id,
        feature,
        first_used_at,
        row_number() over (
            partition by user_id
            order by first_used_at, feature
        ) as adoption_order
    from adoption
),

per_user as (
    select
        user_id,
        count(*) as features_adopted,
        max(case when adoption_order = 1 then feature end) as first_feature,
        min(first_used_at) as first_feature_at
    from ranked_adoption
    group by user_id
),

joined as (
    select
        users.user_id,
        users.as_of,
        coalesce(per_user.features_adopted, 0) as features_adopted,
        feature_count.features_in_taxonomy,
        case
            when feature_count.features_in_taxonomy > 0
                then
                    cast(coalesce(per_user.features_adopted, 0) as {{ type_double() }})
                    / feature_count.features_in_taxonomy
        end as feature_breadth,
        per_user.first_feature,
        per_user.first_feature_at
    from users
    left join per_user on users.user_id = per_user.user_id
    cross join feature_count
),

final as (
    select
        user_id,
        as_of,
        features_adopted,
        features_in_taxonomy,
        feature_breadth,
        first_feature,
        first_feature_at,
        {{ adoption_segment() }} as adoption_segment
    from joined
)

select * from final
