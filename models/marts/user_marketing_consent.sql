{#- Marketing consent per user as of as_of (docs/definitions.md, section 9). The seed
    consent_withdrawals always wins; otherwise the latest consent event on or before as_of
    decides (a withdrawal wins a tie); otherwise the var default_marketing_consent. -#}

with

run_context as (
    select {{ as_of_date() }} as as_of
),

users as (
    -- every user of fct_user_behavior, read from int_user_activity (one row per user with a
    -- clean user-day up to as_of, as fct_user_behavior) so that this model runs beside it
    select
        activity.user_id,
        run_context.as_of
    from {{ ref('int_user_activity') }} as activity
    cross join run_context
),

withdrawal_list as (
    select
        {{ trim_whitespace('cast(user_id as ' ~ dbt.type_string() ~ ')') }} as user_id,
        withdrawn_at
    from {{ ref('consent_withdrawals') }}
),

withdrawals_per_listed_id as (
    select
        user_id,
        max(cast(withdrawn_at as {{ dbt.type_timestamp() }})) as withdrawn_at
    from withdrawal_list
    where user_id is not null and user_id != ''
    group by user_id
),

listed_withdrawals as (
    -- the list holds clear ids; with hash_user_id the models carry sha256(salt || id)
    select
        {{ hash_pii('user_id') if var_flag('hash_user_id', false) else 'user_id' }} as user_id,
        withdrawn_at
    from withdrawals_per_listed_id
),

consent_days as (
    -- each user's latest grant and withdrawal, from the user-days on or before as_of, which
    -- hold the day's latest of each (int_user_days_history): not the 100M events
    select
        user_days.user_id,
        max(user_days.last_consent_grant_at) as last_grant_at,
        max(user_days.last_consent_withdrawal_at) as last_withdrawal_at
    from {{ ref('int_user_days') }} as user_days
    inner join users on user_days.user_id = users.user_id
    where
        user_days.activity_date <= users.as_of
        and (user_days.last_consent_grant_at is not null or user_days.last_consent_withdrawal_at is not null)
    group by user_days.user_id
),

consent_decided as (
    -- the later of the two; on the same timestamp a withdrawal outranks a grant
    select
        user_id,
        last_grant_at,
        last_withdrawal_at,
        last_withdrawal_at is not null
        and (last_grant_at is null or last_withdrawal_at >= last_grant_at) as is_withdrawal
    from consent_days
),

latest_consent_event as (
    select
        user_id,
        is_withdrawal,
        case when is_withdrawal then last_withdrawal_at else last_grant_at end as event_ts
    from consent_decided
),

final as (
    select
        users.user_id,
        users.as_of,
        case
            when listed_withdrawals.user_id is not null then false
            when latest_consent_event.user_id is not null then not latest_consent_event.is_withdrawal
            else {{ 'true' if var_flag('default_marketing_consent', true) else 'false' }}
        end as has_marketing_consent,
        case
            when listed_withdrawals.user_id is not null then 'withdrawal_list'
            when latest_consent_event.user_id is not null then 'consent_event'
            else 'default'
        end as consent_source,
        case
            when listed_withdrawals.user_id is not null then listed_withdrawals.withdrawn_at
            when latest_consent_event.user_id is not null then latest_consent_event.event_ts
        end as consent_changed_at
    from users
    left join listed_withdrawals on users.user_id = listed_withdrawals.user_id
    left join latest_consent_event on users.user_id = latest_consent_event.user_id
)

select * from final
