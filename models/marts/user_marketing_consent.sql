{#- Marketing consent per user as of as_of (docs/definitions.md, section 9). The seed
    consent_withdrawals always wins; otherwise the latest consent event on or before as_of
    decides (a withdrawal wins a tie); otherwise the var default_marketing_consent. -#}

with

users as (
    select
        user_id,
        as_of
    from {{ ref('fct_user_behavior') }}
),

events as (
    select
        user_id,
        event_name,
        event_ts,
        event_date
    from {{ ref('stg_events') }}
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

classified_events as (
    select
        events.user_id,
        events.event_ts,
        events.event_name in {{ event_name_list('consent_withdrawn_events', ['marketing_consent_withdrawn', 'unsubscribe']) }}
            as is_withdrawal,
        events.event_name in {{ event_name_list('consent_granted_events', ['marketing_consent_granted', 'subscribe']) }}
            as is_grant
    from events
    inner join users on events.user_id = users.user_id
    where events.event_date <= users.as_of
),

consent_events as (
    select
        user_id,
        event_ts,
        is_withdrawal
    from classified_events
    where is_withdrawal or is_grant
),

latest_consent_event as (
    select
        user_id,
        event_ts,
        is_withdrawal,
        -- on the same timestamp a withdrawal outranks a grant
        row_number() over (
            partition by user_id
            order by event_ts desc, case when is_withdrawal then 0 else 1 end asc
        ) as recency_rank
    from consent_events
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
    left join latest_consent_event
        on
            users.user_id = latest_consent_event.user_id
            and latest_consent_event.recency_rank = 1
)

select * from final
