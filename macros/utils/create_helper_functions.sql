{#- on-run-start: engine-side helper functions some engines need before any model runs
    (Postgres: try-cast functions that return null instead of raising). Nothing elsewhere. -#}
{% macro create_helper_functions() -%}
    {{ return(adapter.dispatch('create_helper_functions', 'behavioral_segments')()) }}
{%- endmacro %}

{% macro default__create_helper_functions() -%}
    select 1
{%- endmacro %}
