{#- Occasion segments (docs/segments/occasion_benefits_loyalty.md, section 1): when a user
    buys. Every order is placed by its `ordered_at` (UTC) and `order_date` (its UTC date).
    Settings are vars; occasion_settings() holds their defaults in one place. -#}

{#- Every occasion var, resolved: var(name, default). -#}
{% macro occasion_settings() -%}
    {%- set settings = {
        'occasion_min_orders': var('occasion_min_orders', 2),
        'occasion_weekend_min_share': var('occasion_weekend_min_share', 0.6),
        'occasion_weekday_max_share': var('occasion_weekday_max_share', 0.1),
        'occasion_weekend_days': var('occasion_weekend_days', ['saturday', 'sunday']),
        'holiday_country': var('holiday_country', 'US'),
        'holiday_window_days': var('holiday_window_days', 3),
        'holiday_buyer_min_share': var('holiday_buyer_min_share', 0.5),
        'occasion_daypart_start_hours': var('occasion_daypart_start_hours', {'morning': 6, 'afternoon': 12, 'evening': 18}),
        'season_hemisphere': var('season_hemisphere', 'north'),
    } -%}
    {%- if (settings['holiday_window_days'] | int) < 0 -%}
        {{ exceptions.raise_compiler_error("holiday_window_days must be 0 or more, got " ~ settings['holiday_window_days']) }}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}

{#- ISO day of the week of a date, 1 = Monday .. 7 = Sunday, from the whole days since
    Monday 1900-01-01 (portable: no engine's day-of-week function or numbering). -#}
{% macro iso_day_of_week(date_expr) -%}
    ((({{ days_between("cast('1900-01-01' as date)", date_expr) }}) % 7 + 7) % 7 + 1)
{%- endmacro %}

{#- The var occasion_weekend_days (day names, any case) as ISO day numbers, e.g. [6, 7]. -#}
{% macro occasion_weekend_iso_days() -%}
    {%- set numbers = {'monday': 1, 'tuesday': 2, 'wednesday': 3, 'thursday': 4, 'friday': 5, 'saturday': 6, 'sunday': 7} -%}
    {%- set days = occasion_settings()['occasion_weekend_days'] -%}
    {%- if days is string -%}{%- set days = [days] -%}{%- endif -%}
    {%- set out = [] -%}
    {%- for d in days -%}
        {%- set key = d | string | trim | lower -%}
        {%- if key not in numbers -%}
            {{ exceptions.raise_compiler_error("occasion_weekend_days: '" ~ d ~ "' is not a day name (monday .. sunday)") }}
        {%- endif -%}
        {%- do out.append(numbers[key]) -%}
    {%- endfor -%}
    {%- if out | length == 0 -%}
        {{ exceptions.raise_compiler_error("occasion_weekend_days must name at least one day") }}
    {%- endif -%}
    {{ return(out | unique | list | sort) }}
{%- endmacro %}

{#- 1 when the date falls on a weekend day (occasion_weekend_days), else 0. -#}
{% macro is_weekend_flag(date_expr) -%}
    case when {{ iso_day_of_week(date_expr) }} in ({{ occasion_weekend_iso_days() | join(', ') }}) then 1 else 0 end
{%- endmacro %}

{#- weekday_segment, first match wins:
      non_buyer       orders = 0
      too_few_orders  orders < occasion_min_orders
      weekend_buyer   weekend_order_share >= occasion_weekend_min_share
      weekday_buyer   weekend_order_share <= occasion_weekday_max_share
      mixed           otherwise -#}
{% macro weekday_segment(orders='orders', weekend_order_share='weekend_order_share') -%}
    {%- set s = occasion_settings() -%}
    case
        when {{ orders }} = 0 then 'non_buyer'
        when {{ orders }} < {{ s['occasion_min_orders'] }} then 'too_few_orders'
        when {{ share_at_least(weekend_order_share, s['occasion_weekend_min_share']) }} then 'weekend_buyer'
        when {{ share_at_most(weekend_order_share, s['occasion_weekday_max_share']) }} then 'weekday_buyer'
        else 'mixed'
    end
{%- endmacro %}

{% macro weekday_segment_labels() -%}
    {{ return(['weekend_buyer', 'weekday_buyer', 'mixed', 'too_few_orders', 'non_buyer']) }}
{%- endmacro %}

{#- Holiday buyer: orders >= occasion_min_orders and holiday_order_share >=
    holiday_buyer_min_share; false for everyone else (never null). -#}
{% macro is_holiday_buyer(orders='orders', holiday_order_share='holiday_order_share') -%}
    {%- set s = occasion_settings() -%}
    coalesce(
        {{ orders }} >= {{ s['occasion_min_orders'] }}
        and {{ share_at_least(holiday_order_share, s['holiday_buyer_min_share']) }},
        false
    )
{%- endmacro %}

{#- Daypart of an hour 0-23 (UTC): night [0, morning), morning [morning, afternoon),
    afternoon [afternoon, evening), evening [evening, 24), with the start hours of the var
    occasion_daypart_start_hours (default 6, 12, 18). -#}
{% macro daypart(hour_expr) -%}
    {%- set h = occasion_settings()['occasion_daypart_start_hours'] -%}
    {%- set m, a, e = h['morning'] | int, h['afternoon'] | int, h['evening'] | int -%}
    {%- if not (0 < m < a < e < 24) -%}
        {{ exceptions.raise_compiler_error("occasion_daypart_start_hours needs 0 < morning < afternoon < evening < 24, got " ~ h) }}
    {%- endif -%}
    case
        when {{ hour_expr }} < {{ m }} then 'night'
        when {{ hour_expr }} < {{ a }} then 'morning'
        when {{ hour_expr }} < {{ e }} then 'afternoon'
        else 'evening'
    end
{%- endmacro %}

{#- In this order they also break ties of dominant_daypart (earlier in the day wins). -#}
{% macro daypart_labels() -%}
    {{ return(['night', 'morning', 'afternoon', 'evening']) }}
{%- endmacro %}

{#- Meteorological season of a month number 1-12. North: winter Dec-Feb, spring Mar-May,
    summer Jun-Aug, autumn Sep-Nov; season_hemisphere 'south' swaps winter <-> summer and
    spring <-> autumn. -#}
{% macro season(month_expr) -%}
    {%- set hemisphere = occasion_settings()['season_hemisphere'] | lower -%}
    {%- if hemisphere not in ('north', 'south') -%}
        {{ exceptions.raise_compiler_error("season_hemisphere must be 'north' or 'south', got '" ~ hemisphere ~ "'") }}
    {%- endif -%}
    {%- set south = hemisphere == 'south' -%}
    case
        when {{ month_expr }} in (12, 1, 2) then '{{ "summer" if south else "winter" }}'
        when {{ month_expr }} in (3, 4, 5) then '{{ "autumn" if south else "spring" }}'
        when {{ month_expr }} in (6, 7, 8) then '{{ "winter" if south else "summer" }}'
        when {{ month_expr }} in (9, 10, 11) then '{{ "spring" if south else "autumn" }}'
    end
{%- endmacro %}

{#- In this order they also break ties of dominant_season. -#}
{% macro season_labels() -%}
    {{ return(['winter', 'spring', 'summer', 'autumn']) }}
{%- endmacro %}

{#- The label whose count is largest; on a tie the first in the given order; null when all
    counts are 0. `counts`: ordered list of (label, count column) pairs. -#}
{% macro dominant_label(counts) -%}
    {%- set columns = counts | map(attribute=1) | join(', ') -%}
    case
        {%- for label, column in counts %}
        when {{ column }} > 0 and {{ column }} = greatest({{ columns }}) then '{{ label }}'
        {%- endfor %}
    end
{%- endmacro %}
