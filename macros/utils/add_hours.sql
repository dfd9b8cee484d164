{#- A timestamp plus a whole number of hours, keeping sub-second precision (dbt.dateadd on
    Spark goes through unix seconds and drops the microseconds). -#}
{% macro add_hours(expr, hours) -%}
    {{ return(adapter.dispatch('add_hours', 'behavioral_segments')(expr, hours | int)) }}
{%- endmacro %}

{% macro default__add_hours(expr, hours) -%}
    ({{ expr }} + interval '{{ hours }} hours')
{%- endmacro %}

{% macro spark__add_hours(expr, hours) -%}
    timestampadd(hour, {{ hours }}, {{ expr }})
{%- endmacro %}
