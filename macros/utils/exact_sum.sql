{#- Sum as an exact decimal, returned as a double. A plain sum of doubles depends on the order
    rows are added in, which parallel engines do not fix (a hash join's output order varies
    with its threads), so two runs over the same input could differ in the last bits. With
    the default scale 9 (money) inputs must be finite and below 1e28 (staging quarantines
    anything else on purchases); scale 18 keeps 18 decimals of values below 1e19. -#}
{% macro exact_sum(expr, scale=9) -%}
    cast(sum(cast({{ expr }} as decimal(38, {{ scale }}))) as {{ type_double() }})
{%- endmacro %}
