{#- Sum of money as an exact decimal, returned as a double. A plain sum of doubles depends on
    the order rows are added in, which parallel engines do not fix, so two runs over the same
    input could differ in the last bits. Inputs must be finite and below 1e28 (staging
    quarantines anything else on purchases). -#}
{% macro exact_sum(expr) -%}
    cast(sum(cast({{ expr }} as decimal(38, 9))) as {{ type_double() }})
{%- endmacro %}
