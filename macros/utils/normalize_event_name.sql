{#- Event names compare after trimming, lower-casing and turning each run of spaces,
    hyphens and dots into one underscore ('Order Completed' -> 'order_completed'). -#}
{% macro normalize_event_name(expr) -%}
    {{ return(adapter.dispatch('normalize_event_name', 'behavioral_segments')(expr)) }}
{%- endmacro %}

{% macro default__normalize_event_name(expr) -%}
    nullif(regexp_replace(lower({{ trim_whitespace(expr) }}), '[[:space:].-]+', '_', 'g'), '')
{%- endmacro %}

{% macro spark__normalize_event_name(expr) -%}
    nullif(regexp_replace(lower({{ trim_whitespace(expr) }}), '[\\s.-]+', '_'), '')
{%- endmacro %}

{#- The var purchase_events, normalised the same way, as a SQL list literal. -#}
{% macro purchase_event_list() -%}
    {%- set names = var('purchase_events') -%}
    {%- if names is string -%}{%- set names = [names] -%}{%- endif -%}
    {%- set out = [] -%}
    {%- for n in names -%}
        {%- do out.append("'" ~ (modules.re.sub('[\\s.\\-]+', '_', n | trim | lower)) ~ "'") -%}
    {%- endfor -%}
    ({{ out | join(', ') }})
{%- endmacro %}
