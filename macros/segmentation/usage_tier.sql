{#- Usage tier from active days in the last 28 days.

    threshold mode (var usage_tier_mode = 'threshold'): the first tier in the var usage_tiers
    (ordered list of {name, min_active_days}) whose minimum the user reaches, else the var
    usage_tier_inactive.
    quantile mode: users with no active day are inactive; among the others
    p = (rank - 1) / (n - 1) ascending (ties equal, p = 0 when n = 1) and the tier is the
    first in usage_tier_quantiles ({name, min_percentile}) with p >= min_percentile. -#}
{% macro usage_tier(active_days, mode=none) -%}
    {%- set mode = mode or var('usage_tier_mode') -%}
    {%- set inactive = var('usage_tier_inactive') -%}
    {%- if mode == 'threshold' -%}
        case
            {%- for tier in var('usage_tiers') %}
            when {{ active_days }} >= {{ tier['min_active_days'] }} then '{{ tier["name"] }}'
            {%- endfor %}
            else '{{ inactive }}'
        end
    {%- elif mode == 'quantile' -%}
        {%- set active_flag = '(' ~ active_days ~ ' > 0)' -%}
        {%- set n = 'count(*) over (partition by ' ~ active_flag ~ ')' -%}
        {%- set p -%}
            case when {{ n }} = 1 then 0.0
            else (rank() over (partition by {{ active_flag }} order by {{ active_days }}) - 1)
                / cast({{ n }} - 1 as {{ type_double() }}) end
        {%- endset -%}
        case
            when coalesce({{ active_days }}, 0) <= 0 then '{{ inactive }}'
            {%- for tier in var('usage_tier_quantiles') %}
            when {{ p }} >= {{ tier['min_percentile'] }} then '{{ tier["name"] }}'
            {%- endfor %}
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error("usage_tier_mode must be 'threshold' or 'quantile', got '" ~ mode ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- Every label usage_tier() can give, for accepted_values tests. -#}
{% macro usage_tier_labels() -%}
    {%- set tiers = var('usage_tiers') if var('usage_tier_mode') == 'threshold' else var('usage_tier_quantiles') -%}
    {{ return(tiers | map(attribute='name') | list + [var('usage_tier_inactive')]) }}
{%- endmacro %}
