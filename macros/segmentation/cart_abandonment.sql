{#- Cart abandonment (docs/segments/product.md, section 4).

    cart_event_status(cart_at, next_purchase_at, end_of_as_of), for one cart event:
        converted  a purchase of the same user at or after cart_at and at or before
                   cart_at + cart_abandonment_window_hours (exactly at the end counts)
        pending    otherwise, when the window ends at or after the end of as_of
                   (cart_at + window >= as_of + 1 day, 00:00): a purchase could still come
        abandoned  otherwise
    next_purchase_at: the user's first purchase event at or after cart_at (null when none). -#}

{% macro cart_event_status(cart_at='cart_at', next_purchase_at='next_purchase_at', end_of_as_of='end_of_as_of') -%}
    {%- set hours = product_int_var('cart_abandonment_window_hours', 0) -%}
    case
        when {{ next_purchase_at }} <= {{ add_hours(cart_at, hours) }} then 'converted'
        when {{ add_hours(cart_at, hours) }} >= {{ end_of_as_of }} then 'pending'
        else 'abandoned'
    end
{%- endmacro %}

{% macro cart_event_status_labels() -%}
    {{ return(['converted', 'pending', 'abandoned']) }}
{%- endmacro %}
