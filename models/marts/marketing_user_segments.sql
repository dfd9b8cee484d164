{#- The export for marketing tools: the segments of users with marketing consent only.
    A table for now; to also write it as a file, switch to dbt-duckdb's `external`
    materialization with a `location` here (the tag `export` selects every export). -#}

{{ config(materialized='table', tags=['export']) }}

with

segments as (
    select * from {{ ref('user_segments') }}
),

final as (
    select
        user_id,
        as_of,
        rfm_segment,
        usage_tier,
        lifecycle_stage,
        r_score,
        f_score,
        m_score
    from segments
    -- user_segments already carries consent (from user_marketing_consent)
    where has_marketing_consent
)

select * from final
