{#- The median of a numeric expression over a group's non-null values, as a double: the middle
    value, or the mean of the two middle values when their number is even (null when there
    are none). An aggregate, not a window: no engine has to sort every row of the group. -#}
{% macro median_of(expr) -%}
    {{ return(adapter.dispatch('median_of', 'behavioral_segments')(expr)) }}
{%- endmacro %}

{#- standard SQL's ordered-set aggregate (Postgres, Snowflake, ...) -#}
{% macro default__median_of(expr) -%}
    percentile_cont(0.5) within group (order by cast({{ expr }} as {{ type_double() }}))
{%- endmacro %}

{% macro duckdb__median_of(expr) -%}
    median(cast({{ expr }} as {{ type_double() }}))
{%- endmacro %}

{#- exact, interpolating between the two middle values (percentile_approx is not exact) -#}
{% macro spark__median_of(expr) -%}
    percentile(cast({{ expr }} as {{ type_double() }}), 0.5)
{%- endmacro %}
