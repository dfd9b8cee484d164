{#- The one place "today" comes from: the run's as_of date as a SQL scalar.
    It is resolved once, in stg_run_context (the var `as_of`, or the date of the latest
    valid event), so every window in every model agrees and a run is reproducible. -#}
{% macro as_of_date() -%}
    (select as_of from {{ ref('stg_run_context') }})
{%- endmacro %}
