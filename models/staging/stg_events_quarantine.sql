{#- Raw rows that cannot be used, with the first reason that applies and their raw text. -#}

with

final as (
    select
        event_row_id,
        quarantine_reason,
        user_id_raw,
        event_name_raw,
        event_ts_raw,
        revenue_raw,
        user_id,
        event_name,
        event_ts,
        order_id
    from {{ ref('stg_events__classified') }}
    where quarantine_reason is not null
)

select * from final
