{{ config(materialized='table') }}

{#- One row: the as_of date every window of this run is measured from. The var as_of wins;
    otherwise the date of the latest valid (not quarantined, not duplicate) event, so the
    same input always gives the same answer, whatever the wall clock says. -#}

with

latest_valid_event as (
    -- a top-1 sort rather than max() over every row: DuckDB then skips the row groups of
    -- earlier dates (0.5 s to 0.01 s at 100M events)
    select event_date
    from {{ ref('stg_events__classified') }}
    where
        not is_erased
        and quarantine_reason is null
        and duplicate_reason is null
        and event_date is not null
    order by event_date desc
    limit 1
),

final as (
    select
        {% if var('as_of') -%}
        cast('{{ var("as_of") }}' as date)
        {%- else -%}
            max(event_date)
        {%- endif %} as as_of,
        {{ "'" ~ ('var' if var('as_of') else 'latest_valid_event') ~ "'" }} as as_of_source,
        max(event_date) as latest_valid_event_date
    from latest_valid_event
)

select * from final
