{{ config(materialized=bi_materialization()) }}

{#- The wide table BI tools read: one row per user with every segment label and the key facts. -#}

with

facts as (
    select * from {{ ref('fct_user_behavior') }}
),

rfm as (
    select * from {{ ref('user_rfm_segments') }}
),

usage as (
    select * from {{ ref('user_usage_tiers') }}
),

lifecycle as (
    select * from {{ ref('user_lifecycle_stages') }}
),

consent as (
    select * from {{ ref('user_marketing_consent') }}
),

final as (
    select
        facts.user_id,
        facts.as_of,
        ---------- key facts
        facts.first_seen_date,
        facts.last_seen_date,
        facts.days_since_first_seen,
        facts.days_since_last_seen,
        facts.active_days_total,
        facts.active_days_7d,
        facts.active_days_28d,
        facts.active_days_90d,
        facts.active_days_prev_28d,
        facts.events_28d,
        facts.orders,
        facts.revenue,
        facts.avg_order_value,
        facts.days_since_last_purchase,
        facts.is_purchaser,
        ---------- RFM
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_cell,
        rfm.rfm_segment,
        ---------- usage and lifecycle
        usage.usage_tier,
        lifecycle.lifecycle_stage,
        ---------- privacy
        consent.has_marketing_consent
    from facts
    inner join rfm on facts.user_id = rfm.user_id
    inner join usage on facts.user_id = usage.user_id
    inner join lifecycle on facts.user_id = lifecycle.user_id
    inner join consent on facts.user_id = consent.user_id
)

select * from final
