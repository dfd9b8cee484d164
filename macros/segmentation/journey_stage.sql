{#- Journey stage (docs/segments/product.md, section 3). Highest stage wins:
        loyal             loyal_orders >= journey_loyal_min_orders
        repeat_buyer      orders >= 2
        first_time_buyer  orders = 1
        activated         has done a key event
        signed_up         has done a signup event (var signup_events)
        visitor           otherwise
    loyal_orders: orders within the last journey_loyal_window_days days (all orders when the
    var is null). Arguments are column names of the calling query. -#}

{% macro journey_stage(
    orders='orders',
    loyal_orders='loyal_orders',
    has_key_event='has_key_event',
    has_signup='has_signup'
) -%}
    case
        when {{ loyal_orders }} >= {{ product_int_var('journey_loyal_min_orders', 1) }} then 'loyal'
        when {{ orders }} >= 2 then 'repeat_buyer'
        when {{ orders }} >= 1 then 'first_time_buyer'
        when {{ has_key_event }} then 'activated'
        when {{ has_signup }} then 'signed_up'
        else 'visitor'
    end
{%- endmacro %}

{% macro journey_stage_labels() -%}
    {{ return(['visitor', 'signed_up', 'activated', 'first_time_buyer', 'repeat_buyer', 'loyal']) }}
{%- endmacro %}

{#- Orders counted for `loyal`: the window in days (null = all time). -#}
{% macro journey_loyal_window_days() -%}
    {%- set raw = product_var('journey_loyal_window_days') -%}
    {%- if raw is none or (raw | string | trim | lower) in ('', 'none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(product_int_var('journey_loyal_window_days', 1)) }}
{%- endmacro %}
