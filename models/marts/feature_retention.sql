{{ config(materialized=bi_materialization()) }}

{#- One row per feature of the event_taxonomy and retention window (var
    feature_retention_windows): retention of users who adopted the feature before day N
    against those who did not (docs/segments/product.md, section 1.3). -#}

{%- set window_selects = [] %}
{%- for w in feature_retention_windows() %}
    {%- do window_selects.append('select ' ~ w ~ ' as window_days') %}
{%- endfor %}

with

users as (
    select
        user_id,
        as_of,
        days_since_first_seen,
        first_seen_date,
        {{ days_between('first_seen_date', 'last_seen_date') }} as last_active_day
    from {{ ref('fct_user_behavior') }}
),

adoption as (
    {{ adopted_features(['user_id', 'feature', 'first_used_date']) }}
),

taxonomy as (
    {{ taxonomy_events() }}
),

run_context as (
    select as_of from {{ ref('stg_run_context') }}
),

features as (
    select distinct feature
    from taxonomy
),

windows as (
    {{ window_selects | join(' union all ') }}
),

eligible as (
    -- first seen at least N days before as_of; retained: active on a day >= N days after it
    select
        users.user_id,
        users.first_seen_date,
        windows.window_days,
        users.last_active_day >= windows.window_days as is_retained
    from users
    cross join windows
    where users.days_since_first_seen >= windows.window_days
),

window_totals as (
    select
        window_days,
        count(*) as eligible_users,
        count(case when is_retained then 1 end) as retained_users
    from eligible
    group by window_days
),

adopter_totals as (
    -- adopters: first use of the feature before day N (days_to_adopt <= N - 1)
    select
        adoption.feature,
        eligible.window_days,
        count(*) as adopters,
        count(case when eligible.is_retained then 1 end) as adopters_retained
    from adoption
    inner join eligible on adoption.user_id = eligible.user_id
    where
        -- days_to_adopt of user_feature_adoption
        {{ days_between('eligible.first_seen_date', 'adoption.first_used_date') }}
        < eligible.window_days
    group by
        adoption.feature,
        eligible.window_days
),

counts as (
    select
        features.feature,
        windows.window_days,
        coalesce(window_totals.eligible_users, 0) as eligible_users,
        coalesce(adopter_totals.adopters, 0) as adopters,
        coalesce(adopter_totals.adopters_retained, 0) as adopters_retained,
        coalesce(window_totals.eligible_users, 0) - coalesce(adopter_totals.adopters, 0) as non_adopters,
        coalesce(window_totals.retained_users, 0) - coalesce(adopter_totals.adopters_retained, 0) as non_adopters_retained
    from features
    cross join windows
    left join window_totals on windows.window_days = window_totals.window_days
    left join adopter_totals
        on
            features.feature = adopter_totals.feature
            and windows.window_days = adopter_totals.window_days
),

shares as (
    select
        *,
        case
            when adopters > 0 then cast(adopters_retained as {{ type_double() }}) / adopters
        end as adopters_retained_share,
        case
            when non_adopters > 0 then cast(non_adopters_retained as {{ type_double() }}) / non_adopters
        end as non_adopters_retained_share
    from counts
),

final as (
    select
        shares.feature,
        shares.window_days,
        run_context.as_of,
        shares.eligible_users,
        shares.adopters,
        shares.adopters_retained,
        shares.adopters_retained_share,
        shares.non_adopters,
        shares.non_adopters_retained,
        shares.non_adopters_retained_share,
        shares.adopters_retained_share - shares.non_adopters_retained_share as retained_share_difference
    from shares
    cross join run_context
    -- nothing is valid (as_of is null): no rows
    where run_context.as_of is not null
)

select * from final
