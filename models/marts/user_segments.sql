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

occasion as (
    select * from {{ ref('user_occasion_segments') }}
),

benefits as (
    select * from {{ ref('user_benefit_segments') }}
),

loyalty as (
    select * from {{ ref('user_loyalty_segments') }}
),

features as (
    select * from {{ ref('user_feature_segments') }}
),

first_days as (
    select * from {{ ref('user_first_n_days') }}
),

journey as (
    select * from {{ ref('user_journey_stages') }}
),

carts as (
    select * from {{ ref('user_cart_abandonment') }}
),

churn as (
    select * from {{ ref('user_churn_risk') }}
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
        ---------- occasion and benefits sought
        occasion.weekday_segment,
        occasion.is_holiday_buyer,
        occasion.dominant_daypart,
        occasion.dominant_season,
        benefits.benefit_segment,
        benefits.discount_order_share,
        benefits.price_band,
        ---------- loyalty
        loyalty.loyalty_segment,
        loyalty.tenure_days,
        loyalty.consecutive_active_months,
        loyalty.is_advocate,
        ---------- product usage and journey
        features.features_adopted,
        features.feature_breadth,
        features.adoption_segment,
        first_days.first_n_days_label,
        journey.journey_stage,
        carts.is_cart_abandoner,
        carts.abandoned_cart_value,
        carts.days_since_cart_abandoned,
        ---------- churn risk
        churn.churn_risk_band,
        churn.p_alive,
        churn.expected_purchases_next_n_days,
        ---------- privacy
        consent.has_marketing_consent
    from facts
    inner join rfm on facts.user_id = rfm.user_id
    inner join usage on facts.user_id = usage.user_id
    inner join lifecycle on facts.user_id = lifecycle.user_id
    inner join consent on facts.user_id = consent.user_id
    inner join occasion on facts.user_id = occasion.user_id
    inner join benefits on facts.user_id = benefits.user_id
    inner join loyalty on facts.user_id = loyalty.user_id
    inner join features on facts.user_id = features.user_id
    inner join first_days on facts.user_id = first_days.user_id
    inner join journey on facts.user_id = journey.user_id
    inner join carts on facts.user_id = carts.user_id
    inner join churn on facts.user_id = churn.user_id
)

select * from final
