{#- RFM scores and the named R x F segment, one row per user (docs/definitions.md, section 5).
    Scores rank purchasers only; users who never purchased get no scores and their own label. -#}

with

users as (
    select * from {{ ref('fct_user_behavior') }}
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

purchasers as (
    select
        user_id,
        days_since_last_purchase as recency_days,
        orders as frequency,
        revenue as monetary
    from users
    where is_purchaser
),

scored as (
    select
        user_id,
        recency_days,
        frequency,
        monetary,
        {{ rfm_score('recency_days', higher_is_better=false, thresholds=rfm_thresholds_for('recency')) }} as r_score,
        {{ rfm_score('frequency', higher_is_better=true, thresholds=rfm_thresholds_for('frequency')) }} as f_score,
        {{ rfm_score('monetary', higher_is_better=true, thresholds=rfm_thresholds_for('monetary')) }} as m_score
    from purchasers
),

final as (
    select
        users.user_id,
        users.as_of,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        {{ dbt.concat([
            dbt.cast('scored.r_score', dbt.type_string()),
            dbt.cast('scored.f_score', dbt.type_string()),
            dbt.cast('scored.m_score', dbt.type_string()),
        ]) }} as rfm_cell,
        case
            when scored.user_id is null then '{{ var("rfm_non_purchaser_segment") | replace("'", "''") }}'
            else segment_map.segment
        end as rfm_segment,
        segment_map.description as rfm_segment_description,
        segment_map.recommended_action as rfm_recommended_action
    from users
    left join scored on users.user_id = scored.user_id
    left join segment_map
        on
            scored.r_score = segment_map.r_score
            and scored.f_score = segment_map.f_score
)

select * from final
