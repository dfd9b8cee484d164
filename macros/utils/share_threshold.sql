{#- A share (a ratio of two counts, as a double) compared with a threshold var. A share
    that equals the threshold as a fraction (3 / 5 and 0.6) must reach it on every engine,
    whatever the last bit of the division: the comparison allows 1e-9. Distinct ratios of
    counts below a million differ by far more than that, so no other share moves across.
    Null shares compare as null. -#}
{% macro share_at_least(share, threshold) -%}
    {{ share }} >= {{ threshold }} - 1e-9
{%- endmacro %}

{% macro share_at_most(share, threshold) -%}
    {{ share }} <= {{ threshold }} + 1e-9
{%- endmacro %}
