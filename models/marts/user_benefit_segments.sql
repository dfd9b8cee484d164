{#- What each user's purchases say about the benefit sought: discounts, and the price level
    of the items bought (docs/segments/occasion_benefits_loyalty.md, section 2). One row per
    user. The orders come from int_orders, which carries per order whether it was discounted
    and its exact priced item value and quantity (read from the purchase events' properties
    by int_order_days, incrementally). -#}

with

users as (
    select * from {{ ref('fct_user_behavior') }}
),

orders as (
    select
        user_id,
        is_discounted,
        priced_value,
        priced_quantity
    from {{ ref('int_orders') }}
),

user_benefits as (
    select
        user_id,
        count(*) as orders,
        count(case when is_discounted then 1 end) as discounted_orders,
        cast(sum(priced_value) as {{ type_double() }}) as priced_item_value,
        cast(sum(priced_quantity) as {{ type_double() }}) as priced_item_quantity
    from orders
    group by user_id
),

joined as (
    select
        users.user_id,
        users.as_of,
        coalesce(user_benefits.orders, 0) as orders,
        coalesce(user_benefits.discounted_orders, 0) as discounted_orders,
        user_benefits.priced_item_value,
        user_benefits.priced_item_quantity
    from users
    left join user_benefits on users.user_id = user_benefits.user_id
),

shares as (
    select
        *,
        case
            when orders > 0 then discounted_orders / cast(orders as {{ type_double() }})
        end as discount_order_share,
        case
            when priced_item_quantity > 0 then priced_item_value / priced_item_quantity
        end as avg_item_price
    from joined
),

final as (
    select
        user_id,
        as_of,
        orders,
        ---------- discounts
        discounted_orders,
        discount_order_share,
        {{ benefit_segment() }} as benefit_segment,
        ---------- price level
        priced_item_quantity,
        priced_item_value,
        avg_item_price,
        {{ price_band() }} as price_band
    from shares
)

select * from final
