{#- The export for marketing tools: the segments of users with marketing consent only.
    A table for now; to also write it as a file, switch to dbt-duckdb's `external`
    materialization with a `location` here (the tag `export` selects every export). -#}

{{ config(materialized='table', tags=['export']) }}

with

segments as (
    select * from {{ ref('user_segments') }}
),

consent as (
    select * from {{ ref('user_marketing_consent') }}
),

final as (
    select
        segments.user_id,
        segments.as_of,
        segments.rfm_segment,
        segments.usage_tier,
        segments.lifecycle_stage,
        segments.r_score,
        segments.f_score,
        segments.m_score
    from segments
    inner join consent on segments.user_id = consent.user_id
    where consent.has_marketing_consent
)

select * from final
