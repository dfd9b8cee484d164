{#- When each user buys: weekend or weekday, around public holidays, time of day and season
    (docs/segments/occasion_benefits_loyalty.md, section 1). One row per user. -#}
{%- set s = occasion_settings() -%}
{%- set window_start = dbt.dateadd('day', -(s['holiday_window_days'] | int), 'holiday_date') -%}
{%- set daypart_counts = [
    ('night', 'night_orders'), ('morning', 'morning_orders'),
    ('afternoon', 'afternoon_orders'), ('evening', 'evening_orders'),
] -%}
{%- set season_counts = [
    ('winter', 'winter_orders'), ('spring', 'spring_orders'),
    ('summer', 'summer_orders'), ('autumn', 'autumn_orders'),
] -%}

with

users as (
    select * from {{ ref('fct_user_behavior') }}
),

orders as (
    select * from {{ ref('int_orders') }}
),

holiday_calendar as (
    select * from {{ ref('holiday_calendar') }}
),

holiday_windows as (
    -- an order is a holiday order when its date is in [holiday_date - window, holiday_date]
    select
        holiday_date,
        cast({{ window_start }} as date) as window_start_date
    from holiday_calendar
    where country = '{{ s["holiday_country"] | replace("'", "''") }}'
),

holiday_orders as (
    -- distinct: overlapping windows (Christmas and Boxing Day) count an order once
    select distinct
        orders.user_id,
        orders.order_key
    from orders
    inner join holiday_windows
        on
            orders.order_date >= holiday_windows.window_start_date
            and orders.order_date <= holiday_windows.holiday_date
),

order_occasions as (
    select
        orders.user_id,
        orders.order_key,
        {{ is_weekend_flag('orders.order_date') }} as is_weekend_order,
        case when holiday_orders.order_key is not null then 1 else 0 end as is_holiday_order,
        {{ daypart('cast(extract(hour from orders.ordered_at) as ' ~ dbt.type_int() ~ ')') }} as daypart,
        {{ season('cast(extract(month from orders.order_date) as ' ~ dbt.type_int() ~ ')') }} as season
    from orders
    left join holiday_orders
        on
            orders.user_id = holiday_orders.user_id
            and orders.order_key = holiday_orders.order_key
),

user_occasions as (
    select
        user_id,
        count(*) as orders,
        count(case when is_weekend_order = 1 then 1 end) as weekend_orders,
        count(case when is_holiday_order = 1 then 1 end) as holiday_orders,
        count(case when daypart = 'night' then 1 end) as night_orders,
        count(case when daypart = 'morning' then 1 end) as morning_orders,
        count(case when daypart = 'afternoon' then 1 end) as afternoon_orders,
        count(case when daypart = 'evening' then 1 end) as evening_orders,
        count(case when season = 'winter' then 1 end) as winter_orders,
        count(case when season = 'spring' then 1 end) as spring_orders,
        count(case when season = 'summer' then 1 end) as summer_orders,
        count(case when season = 'autumn' then 1 end) as autumn_orders
    from order_occasions
    group by user_id
),

joined as (
    select
        users.user_id,
        users.as_of,
        coalesce(user_occasions.orders, 0) as orders,
        coalesce(user_occasions.weekend_orders, 0) as weekend_orders,
        coalesce(user_occasions.holiday_orders, 0) as holiday_orders,
        coalesce(user_occasions.night_orders, 0) as night_orders,
        coalesce(user_occasions.morning_orders, 0) as morning_orders,
        coalesce(user_occasions.afternoon_orders, 0) as afternoon_orders,
        coalesce(user_occasions.evening_orders, 0) as evening_orders,
        coalesce(user_occasions.winter_orders, 0) as winter_orders,
        coalesce(user_occasions.spring_orders, 0) as spring_orders,
        coalesce(user_occasions.summer_orders, 0) as summer_orders,
        coalesce(user_occasions.autumn_orders, 0) as autumn_orders
    from users
    left join user_occasions on users.user_id = user_occasions.user_id
),

shares as (
    select
        *,
        case
            when orders > 0 then weekend_orders / cast(orders as {{ type_double() }})
        end as weekend_order_share,
        case
            when orders > 0 then holiday_orders / cast(orders as {{ type_double() }})
        end as holiday_order_share
    from joined
),

final as (
    select
        user_id,
        as_of,
        orders,
        ---------- weekend vs weekday
        weekend_orders,
        weekend_order_share,
        {{ weekday_segment() }} as weekday_segment,
        ---------- holidays
        holiday_orders,
        holiday_order_share,
        {{ is_holiday_buyer() }} as is_holiday_buyer,
        ---------- time of day (UTC)
        night_orders,
        morning_orders,
        afternoon_orders,
        evening_orders,
        {{ dominant_label(daypart_counts) }} as dominant_daypart,
        ---------- season
        winter_orders,
        spring_orders,
        summer_orders,
        autumn_orders,
        {{ dominant_label(season_counts) }} as dominant_season
    from shares
)

select * from final
