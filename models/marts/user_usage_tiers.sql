{#- Usage tier from active days in the last 28 days (docs/definitions.md, section 6). -#}

with

users as (
    select * from {{ ref('fct_user_behavior') }}
),

final as (
    select
        user_id,
        as_of,
        active_days_28d,
        {{ usage_tier('active_days_28d') }} as usage_tier
    from users
)

select * from final
