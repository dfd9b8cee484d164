{#- Raw rows of users in the erasure list: counted, nothing else kept. -#}

with

final as (
    select event_row_id
    from {{ ref('stg_events__classified') }}
    where is_erased
)

select * from final
