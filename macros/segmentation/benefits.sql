{#- Benefits sought (docs/segments/occasion_benefits_loyalty.md, section 2): does a user buy
    with discounts, and at what price level. Read from the `properties` JSON of purchase
    events. benefits_settings() holds the vars with their defaults. -#}

{% macro benefits_settings() -%}
    {%- set settings = {
        'discount_properties': var('discount_properties', ['discount_code', 'coupon', 'coupon_code', 'promo_code']),
        'benefits_min_orders': var('benefits_min_orders', 2),
        'benefits_discount_driven_min_share': var('benefits_discount_driven_min_share', 0.5),
        'price_band_premium_min': var('price_band_premium_min', 80),
        'price_band_budget_max': var('price_band_budget_max', 25),
        'price_max_item_quantity': var('price_max_item_quantity', 10000),
        'max_revenue': var('max_revenue', 1000000000),
    } -%}
    {%- if settings['price_band_budget_max'] > settings['price_band_premium_min'] -%}
        {{ exceptions.raise_compiler_error("price_band_budget_max must not exceed price_band_premium_min") }}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}

{#- 1 when any key of discount_properties holds a value other than null or blank text in the
    properties JSON (a number, true or false count as values), else 0. -#}
{% macro has_discount_flag(properties='properties') -%}
    {%- set keys = benefits_settings()['discount_properties'] -%}
    {%- if keys is string -%}{%- set keys = [keys] -%}{%- endif -%}
    {%- if keys | length == 0 -%}
        0
    {%- else -%}
        case when
            {%- for key in keys %}
            {% if not loop.first %}or {% endif %}{{ trim_to_null(json_property(properties, key)) }} is not null
            {%- endfor %}
            then 1 else 0 end
    {%- endif -%}
{%- endmacro %}

{#- The `price` property as a double when it is a finite number in [0, max_revenue],
    else null. -#}
{% macro item_price(properties='properties') -%}
    {%- set raw = try_to_double(json_property(properties, 'price')) -%}
    case
        when {{ is_finite(raw) }} and {{ raw }} >= 0 and {{ raw }} <= {{ benefits_settings()['max_revenue'] }}
            then {{ raw }}
    end
{%- endmacro %}

{#- The `quantity` property as a double when it is a finite number in
    (0, price_max_item_quantity], else 1. -#}
{% macro item_quantity(properties='properties') -%}
    {%- set raw = try_to_double(json_property(properties, 'quantity')) -%}
    case
        when {{ is_finite(raw) }} and {{ raw }} > 0 and {{ raw }} <= {{ benefits_settings()['price_max_item_quantity'] }}
            then {{ raw }}
        else 1
    end
{%- endmacro %}

{#- benefit_segment, first match wins:
      non_buyer        orders = 0
      too_few_orders   orders < benefits_min_orders
      discount_driven  discount_order_share >= benefits_discount_driven_min_share
      full_price       discounted_orders = 0
      mixed            otherwise -#}
{% macro benefit_segment(orders='orders', discounted_orders='discounted_orders', discount_order_share='discount_order_share') -%}
    {%- set s = benefits_settings() -%}
    case
        when {{ orders }} = 0 then 'non_buyer'
        when {{ orders }} < {{ s['benefits_min_orders'] }} then 'too_few_orders'
        when {{ share_at_least(discount_order_share, s['benefits_discount_driven_min_share']) }} then 'discount_driven'
        when {{ discounted_orders }} = 0 then 'full_price'
        else 'mixed'
    end
{%- endmacro %}

{% macro benefit_segment_labels() -%}
    {{ return(['discount_driven', 'mixed', 'full_price', 'too_few_orders', 'non_buyer']) }}
{%- endmacro %}

{#- price_band of an average item price: premium when >= price_band_premium_min, budget
    when < price_band_budget_max, mid otherwise, null when null. -#}
{% macro price_band(avg_item_price='avg_item_price') -%}
    {%- set s = benefits_settings() -%}
    case
        when {{ avg_item_price }} is null then null
        when {{ avg_item_price }} >= {{ s['price_band_premium_min'] }} then 'premium'
        when {{ avg_item_price }} < {{ s['price_band_budget_max'] }} then 'budget'
        else 'mid'
    end
{%- endmacro %}

{% macro price_band_labels() -%}
    {{ return(['premium', 'mid', 'budget']) }}
{%- endmacro %}
