{#- Segment KPIs (docs/segments/measure_act.md, section 1).

    segment_kpi_dimensions(): the label columns of user_segments that KPIs and campaign
                              audiences are cut by (var segment_dimensions).
    segment_null_label():     the segment_value of users whose label is null.
    segment_label_text(col):  a label column as text, null -> segment_null_label().
    segment_kpi_compared():   the KPIs segment_kpis compares with the previous as_of. -#}

{% macro segment_kpi_dimensions() -%}
    {{ return(var('segment_dimensions', ['rfm_segment', 'usage_tier', 'lifecycle_stage'])) }}
{%- endmacro %}

{% macro segment_null_label() -%}
    {{ return(var('segment_null_label', '(none)')) }}
{%- endmacro %}

{% macro segment_label_text(column) -%}
    coalesce(cast({{ column }} as {{ dbt.type_string() }}), '{{ segment_null_label() | replace("'", "''") }}')
{%- endmacro %}

{% macro segment_kpi_compared() -%}
    {{ return([
        'users',
        'revenue',
        'revenue_per_user',
        'orders_per_user',
        'purchase_conversion',
        'retention_30d',
        'ltv_to_date',
        'engagement',
    ]) }}
{%- endmacro %}
