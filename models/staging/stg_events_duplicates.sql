{#- Valid rows dropped because they repeat an earlier row (exact copy or same event_id). -#}

with

final as (
    select
        event_row_id,
        duplicate_reason,
        user_id,
        event_name,
        event_ts,
        event_id
    from {{ ref('stg_events__classified') }}
    where duplicate_reason is not null
)

select * from final
