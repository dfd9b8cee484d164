{#- Sum as an exact decimal, returned as a double. A plain sum of doubles depends on the order
    rows are added in, which parallel engines do not fix (a hash join's output order varies
    with its threads), so two runs over the same input could differ in the last bits. With
    the default scale 9 (money) inputs must be finite and below 1e28 (staging quarantines
    anything else on purchases); scale 18 keeps 18 decimals of values below 1e19. -#}
{% macro exact_sum(expr, scale=9) -%}
    cast(sum(cast({{ expr }} as {{ exact_decimal(scale) }})) as {{ type_double() }})
{%- endmacro %}

{#- The decimal exact_sum adds in, for sums made in steps (a sum of partial sums). -#}
{% macro exact_decimal(scale=9) -%}
    decimal(38, {{ scale }})
{%- endmacro %}
