{#- Loyalty (docs/segments/occasion_benefits_loyalty.md, section 3): repeat buying, tenure,
    unbroken monthly activity and advocacy. loyalty_settings() holds the vars with their
    defaults. -#}

{% macro loyalty_settings() -%}
    {{ return({
        'advocacy_events': var('advocacy_events', ['refer_friend', 'write_review', 'share_product']),
        'referral_events': var('referral_events', ['refer_friend']),
        'review_events': var('review_events', ['write_review']),
        'advocate_min_events': var('advocate_min_events', 10),
        'loyal_min_orders': var('loyal_min_orders', 4),
        'loyal_min_active_months': var('loyal_min_active_months', 3),
    }) }}
{%- endmacro %}

{#- A loyalty event-name var as an SQL list literal for `event_name in ...` (normalised like
    stg_events.event_name; an empty list matches nothing). -#}
{% macro loyalty_event_list(name) -%}
    {{ event_name_list(name, loyalty_settings()[name]) }}
{%- endmacro %}

{#- True when advocacy_events >= advocate_min_events. -#}
{% macro is_advocate(advocacy_events='advocacy_events') -%}
    ({{ advocacy_events }} >= {{ loyalty_settings()['advocate_min_events'] }})
{%- endmacro %}

{#- loyalty_segment, first match wins:
      non_buyer  orders = 0
      advocate   orders >= 2 and is_advocate
      loyal      orders >= loyal_min_orders and consecutive_active_months >= loyal_min_active_months
      repeat     orders >= 2
      one_time   orders = 1 -#}
{% macro loyalty_segment(orders='orders', is_advocate='is_advocate', consecutive_active_months='consecutive_active_months') -%}
    {%- set s = loyalty_settings() -%}
    case
        when {{ orders }} = 0 then 'non_buyer'
        when {{ orders }} >= 2 and {{ is_advocate }} then 'advocate'
        when {{ orders }} >= {{ s['loyal_min_orders'] }}
            and {{ consecutive_active_months }} >= {{ s['loyal_min_active_months'] }}
            then 'loyal'
        when {{ orders }} >= 2 then 'repeat'
        else 'one_time'
    end
{%- endmacro %}

{% macro loyalty_segment_labels() -%}
    {{ return(['advocate', 'loyal', 'repeat', 'one_time', 'non_buyer']) }}
{%- endmacro %}
