{#- Clean events: typed, normalised, de-duplicated, valid, and on or before as_of. -#}

with

classified as (
    select * from {{ ref('stg_events__classified') }}
),

final as (
    select
        ---------- ids
        event_row_id,
        user_id,
        event_id,
        session_id,
        order_id,
        ---------- event
        event_name,
        is_purchase,
        properties,
        ---------- numerics
        revenue,
        ---------- timestamps
        event_ts,
        event_date,
        ---------- lineage
        event_id_hash,
        load_batch
    from classified
    where
        not is_erased
        and quarantine_reason is null
        and duplicate_reason is null
        and {{ as_of_cut('event_date') }}
)

select * from final
