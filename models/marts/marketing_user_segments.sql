{#- The export for marketing tools: the segments of users with marketing consent only.
    With the var bi_parquet_exports (DuckDB) it is also written as a Parquet file
    (macros/utils/incremental.sql, bi_materialization); the tag `export` selects every export. -#}

{{ config(materialized=bi_materialization(), tags=['export']) }}

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
