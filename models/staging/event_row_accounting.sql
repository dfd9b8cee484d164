{{ config(materialized='table') }}

{#- Where every raw row went: one row per status, with row counts and purchase revenue.
    raw rows = clean + quarantined + duplicate + after_as_of (tested against the file). -#}

with

statuses as (
    select 'clean' as row_status, 1 as status_order, count(*) as row_count,
        sum(case when is_purchase then coalesce(revenue, 0) else 0 end) as purchase_revenue
    from {{ ref('stg_events') }}
    union all
    select 'quarantined', 2, count(*), cast(null as {{ dbt.type_float() }})
    from {{ ref('stg_events_quarantine') }}
    union all
    select 'duplicate', 3, count(*), cast(null as {{ dbt.type_float() }})
    from {{ ref('stg_events_duplicates') }}
    union all
    select 'after_as_of', 4, count(*),
        sum(case when is_purchase then coalesce(revenue, 0) else 0 end)
    from {{ ref('stg_events_after_as_of') }}
),

final as (
    select
        row_status,
        status_order,
        row_count as rows,
        coalesce(purchase_revenue, 0) as purchase_revenue
    from statuses
)

select * from final
