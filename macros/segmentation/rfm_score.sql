{#- RFM score of one metric, 1 (worst) .. bins (best), as a SQL expression over the rows
    of the query it is used in (the caller keeps only purchasers in that query).

    metric:           column or expression holding the metric
    higher_is_better: true for frequency and monetary, false for recency (days)
    bins:             number of scores (var rfm_bins)
    thresholds:       optional ascending list of bins - 1 business cut points; when given the
                      score comes from them instead of from ranks

    Quantile scoring is least(bins, 1 + floor(bins * percent_rank())) ordered from worse to
    better, computed as one exact division so equal values always get equal scores and no
    float rounding moves a user across a cut. -#}
{% macro rfm_score(metric, higher_is_better, bins=none, thresholds=none) -%}
    {%- set bins = bins if bins is not none else var('rfm_bins') | int -%}
    {%- if bins < 2 -%}
        {{ exceptions.raise_compiler_error("rfm_bins must be at least 2, got " ~ bins) }}
    {%- endif -%}
    {%- if thresholds -%}
        {%- if thresholds | length != bins - 1 -%}
            {{ exceptions.raise_compiler_error(
                "rfm_thresholds for " ~ metric ~ " needs " ~ (bins - 1) ~ " ascending cut points (rfm_bins - 1), got " ~ thresholds) }}
        {%- endif -%}
        {%- for i in range(1, thresholds | length) -%}
            {%- if thresholds[i] <= thresholds[i - 1] -%}
                {{ exceptions.raise_compiler_error("rfm_thresholds for " ~ metric ~ " must be strictly ascending, got " ~ thresholds) }}
            {%- endif -%}
        {%- endfor -%}
        {%- if higher_is_better -%}
            (1{% for t in thresholds %} + case when {{ metric }} >= {{ t }} then 1 else 0 end{% endfor %})
        {%- else -%}
            ({{ bins }}{% for t in thresholds %} - case when {{ metric }} > {{ t }} then 1 else 0 end{% endfor %})
        {%- endif -%}
    {%- else -%}
        {%- set direction = 'asc' if higher_is_better else 'desc' -%}
        case
            when count(*) over () = 1 then 1
            else least(
                {{ bins }},
                1 + cast(floor(
                    {{ bins }} * (rank() over (order by {{ metric }} {{ direction }}) - 1)
                    / cast(count(*) over () - 1 as {{ type_double() }})
                ) as {{ dbt.type_int() }})
            )
        end
    {%- endif -%}
{%- endmacro %}

{#- The thresholds configured for one RFM metric ('recency', 'frequency', 'monetary'), or none. -#}
{% macro rfm_thresholds_for(metric_name) -%}
    {%- set all_thresholds = var('rfm_thresholds') -%}
    {%- if all_thresholds is mapping and metric_name in all_thresholds -%}
        {{ return(all_thresholds[metric_name]) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}
