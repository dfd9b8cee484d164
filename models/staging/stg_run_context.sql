{{ config(materialized='table') }}

{#- One row: the as_of date every window of this run is measured from. The var as_of wins;
    otherwise the date of the latest valid (not quarantined, not duplicate) event, so the
    same input always gives the same answer, whatever the wall clock says. -#}

with

valid_events as (
    select event_date
    from {{ ref('stg_events__classified') }}
    where
        not is_erased
        and quarantine_reason is null
        and duplicate_reason is null
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
    from valid_events
)

select * from final
