{#- The vars of the product-usage segments (docs/segments/product.md) with their defaults, in
    one place so that every model, macro and test reads the same default.
    product_var('first_n_days') is var('first_n_days', 14). -#}
{% macro product_var_defaults() -%}
    {{ return({
        'key_events': none,
        'feature_adoption_min_uses': 1,
        'adoption_explorer_min_features': 2,
        'adoption_power_min_breadth': 0.7,
        'feature_retention_windows': [30, 60, 90],
        'first_n_days': 14,
        'first_n_days_metric': 'revenue',
        'first_n_days_threshold': 200,
        'signup_events': ['signup', 'sign_up', 'register'],
        'journey_loyal_min_orders': 5,
        'journey_loyal_window_days': 365,
        'cart_events': ['add_to_cart'],
        'cart_abandonment_window_hours': 24,
        'cart_abandoner_recency_days': 30,
    }) }}
{%- endmacro %}

{% macro product_var(name) -%}
    {%- set defaults = product_var_defaults() -%}
    {%- if name not in defaults -%}
        {{ exceptions.raise_compiler_error("product_var: unknown var '" ~ name ~ "'") }}
    {%- endif -%}
    {{ return(var(name, defaults[name])) }}
{%- endmacro %}

{#- A whole-number var (also when --vars passes it as text), at least `minimum`. -#}
{% macro product_int_var(name, minimum=0) -%}
    {%- set raw = product_var(name) -%}
    {%- set value = raw | int(-999999999) -%}
    {%- if (raw | string | trim) != (value | string) or value < minimum -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a whole number >= " ~ minimum ~ ", got '" ~ raw ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- A numeric var as an SQL literal (checked to be a number). -#}
{% macro product_number_var(name) -%}
    {%- set raw = product_var(name) | string | trim -%}
    {%- if not modules.re.match('^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$', raw) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a number, got '" ~ raw ~ "'") }}
    {%- endif -%}
    {{ return(raw) }}
{%- endmacro %}

{#- An event-name list var of this family as an SQL list literal (event_name_list). -#}
{% macro product_event_list(name) -%}
    {{ event_name_list(name, product_var_defaults()[name]) }}
{%- endmacro %}
