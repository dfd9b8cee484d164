{#- Valid, unique events dated after as_of: left out of this point-in-time run. -#}

with

final as (
    select
        event_row_id,
        user_id,
        event_name,
        event_ts,
        event_date,
        revenue,
        is_purchase
    from {{ ref('stg_events__classified') }}
    where
        not is_erased
        and quarantine_reason is null
        and duplicate_reason is null
        and event_date > {{ as_of_date() }}
)

select * from final
