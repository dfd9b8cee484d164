{{ config(materialized='table') }}

{#- Where every raw row went: one row per status, with row counts and purchase revenue.
    raw rows = clean + quarantined + duplicate + after_as_of + erased (tested against the file). -#}

with

clean as (
    select
        'clean' as row_status,
        1 as status_order,
        count(*) as row_count,
        coalesce({{ exact_sum('case when is_purchase then coalesce(revenue, 0) else 0 end') }}, 0) as purchase_revenue
    from {{ ref('stg_events') }}
),

quarantined as (
    select
        'quarantined' as row_status,
        2 as status_order,
        count(*) as row_count,
        0 as purchase_revenue
    from {{ ref('stg_events_quarantine') }}
),

duplicate as (
    select
        'duplicate' as row_status,
        3 as status_order,
        count(*) as row_count,
        0 as purchase_revenue
    from {{ ref('stg_events_duplicates') }}
),

after_as_of as (
    select
        'after_as_of' as row_status,
        4 as status_order,
        count(*) as row_count,
        coalesce({{ exact_sum('case when is_purchase then coalesce(revenue, 0) else 0 end') }}, 0) as purchase_revenue
    from {{ ref('stg_events_after_as_of') }}
),

erased as (
    select
        'erased' as row_status,
        5 as status_order,
        count(*) as row_count,
        0 as purchase_revenue
    from {{ ref('stg_events_erased') }}
),

final as (
    select * from clean
    union all
    select * from quarantined
    union all
    select * from duplicate
    union all
    select * from after_as_of
    union all
    select * from erased
)

select * from final
