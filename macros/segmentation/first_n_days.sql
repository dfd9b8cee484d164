{#- "X in the first N days" (docs/segments/product.md, section 2).

    The window is days 0 .. N-1 counted from first_seen_date (N = var first_n_days).
    first_n_days_label(metric, days_since_first_seen), first match wins:
        reached      metric >= first_n_days_threshold
        pending      the window is not over at as_of: days_since_first_seen < N - 1
                     (first_seen_date + N - 1 > as_of)
        not_reached  otherwise
    A null metric counts as 0. -#}

{% macro first_n_days_metrics() -%}
    {{ return(['revenue', 'orders', 'active_days', 'key_events']) }}
{%- endmacro %}

{#- The column of user_first_n_days the label is computed from. -#}
{% macro first_n_days_metric_column() -%}
    {%- set metric = product_var('first_n_days_metric') | string | trim | lower -%}
    {%- if metric not in first_n_days_metrics() -%}
        {{ exceptions.raise_compiler_error(
            "first_n_days_metric must be one of " ~ (first_n_days_metrics() | join(', ')) ~ ", got '" ~ metric ~ "'") }}
    {%- endif -%}
    {{ return(metric ~ '_first_n_days') }}
{%- endmacro %}

{% macro first_n_days_label(metric, days_since_first_seen='days_since_first_seen') -%}
    case
        when coalesce({{ metric }}, 0) >= {{ product_number_var('first_n_days_threshold') }} then 'reached'
        when {{ days_since_first_seen }} < {{ product_int_var('first_n_days', 1) }} - 1 then 'pending'
        else 'not_reached'
    end
{%- endmacro %}

{% macro first_n_days_labels() -%}
    {{ return(['reached', 'not_reached', 'pending']) }}
{%- endmacro %}
