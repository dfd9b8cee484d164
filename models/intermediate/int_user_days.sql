{{ config(materialized='view') }}

{#- One row per user and calendar day (UTC) with at least one clean event on or before
    as_of: the as_of cut of int_user_days_history. -#}

with

history as (
    select * from {{ ref('int_user_days_history') }}
),

final as (
    select
        user_id,
        activity_date,
        events,
        sessions,
        purchase_events,
        revenue,
        first_event_at,
        last_event_at,
        signup_events,
        first_signup_at,
        key_events,
        first_key_event_at,
        referral_events,
        review_events,
        advocacy_events,
        last_consent_grant_at,
        last_consent_withdrawal_at,
        load_batch
    from history
    where {{ as_of_cut('activity_date') }}
)

select * from final
