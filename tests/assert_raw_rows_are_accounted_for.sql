-- Every raw row of the event log lands in exactly one of clean, quarantined, duplicate or
-- after_as_of: the raw file is counted here directly, independently of staging.
{{ config(tags=['reconciliation']) }}

with

raw_rows as (
    select count(*) as row_count from {{ events_relation() }}
),

accounted as (
    select sum(row_count) as row_count from {{ ref('event_row_accounting') }}
),

classified as (
    select count(*) as row_count from {{ ref('stg_events__classified') }}
)

select
    raw_rows.row_count as raw_rows,
    accounted.row_count as accounted_rows,
    classified.row_count as classified_rows
from raw_rows
cross join accounted
cross join classified
where
    raw_rows.row_count != accounted.row_count
    or raw_rows.row_count != classified.row_count
